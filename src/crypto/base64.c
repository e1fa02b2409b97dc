/*
 * Text encodings of digests: hex, base64 and apk's checksum forms
 * (apk-format §1.1). Contract in hash.h.
 *
 * The decoders are strict: base64 must be padded to a multiple of 4 with
 * '=' only at the end and zero unused bits, so every byte string has exactly
 * one accepted text form (a checksum compares equal as text iff as bytes).
 */
#include "crypto/hash.h"

#include <string.h>

static const char hexdig[] = "0123456789abcdef";
static const char b64dig[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void wch_hex_encode(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool wch_hex_decode(const char *s, size_t slen, unsigned char *out, size_t n)
{
	size_t i;

	if (slen != 2 * n)
		return false;
	for (i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

size_t wch_base64_encode(const unsigned char *p, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		unsigned long v =
		    (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64dig[v >> 18 & 63];
		out[o++] = b64dig[v >> 12 & 63];
		out[o++] = b64dig[v >> 6 & 63];
		out[o++] = b64dig[v & 63];
	}
	if (n - i == 1) {
		out[o++] = b64dig[p[i] >> 2];
		out[o++] = b64dig[(p[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		out[o++] = b64dig[p[i] >> 2];
		out[o++] = b64dig[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = b64dig[(p[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = 0;
	return o;
}

static int b64val(char c)
{
	const char *at;

	if (!c)
		return -1;
	at = strchr(b64dig, c);
	return at ? (int)(at - b64dig) : -1;
}

long wch_base64_decode(const char *s, size_t slen, unsigned char *out)
{
	size_t i, o = 0;

	if (slen % 4)
		return -1;
	for (i = 0; i < slen; i += 4) {
		int v[4], k, pad = 0;
		bool last = i + 4 == slen;
		for (k = 0; k < 4; k++) {
			if (last && k >= 2 && s[i + k] == '=') {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad) /* data after '=' */
				return -1;
			v[k] = b64val(s[i + k]);
			if (v[k] < 0)
				return -1;
		}
		/* The bits that padding leaves unused must be zero. */
		if ((pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3)))
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)o;
}

/* apk-format §1.1: a leading hex digit means legacy MD5 hex; otherwise
 * char 0 is the encoding (Q base64, X hex) and char 1 must be '1' (SHA-1). */
int wch_checksum_parse(struct wch_view s, struct wch_checksum *out)
{
	unsigned char tmp[21]; /* 28 base64 chars decode to 21 bytes at most */

	memset(out, 0, sizeof(*out));
	if (s.n == 32 && hexval(s.p[0]) >= 0) {
		if (!wch_hex_decode(s.p, 32, out->d, 16))
			return -WCH_E_FORMAT;
		out->alg = WCH_HASH_MD5;
		out->len = 16;
		return 0;
	}
	if (s.n == 30 && s.p[0] == 'Q' && s.p[1] == '1') {
		if (wch_base64_decode(s.p + 2, 28, tmp) != 20)
			return -WCH_E_FORMAT;
		memcpy(out->d, tmp, 20);
	} else if (s.n == 42 && s.p[0] == 'X' && s.p[1] == '1') {
		if (!wch_hex_decode(s.p + 2, 40, out->d, 20))
			return -WCH_E_FORMAT;
	} else {
		return -WCH_E_FORMAT;
	}
	out->alg = WCH_HASH_SHA1;
	out->len = 20;
	return 0;
}

char *wch_q1_format(const unsigned char sha1[20], char out[31])
{
	out[0] = 'Q';
	out[1] = '1';
	wch_base64_encode(sha1, 20, out + 2);
	return out;
}

char *wch_checksum_format(const struct wch_checksum *c, char *out)
{
	if (c->len == 16)
		wch_hex_encode(c->d, 16, out);
	else if (c->len == 20)
		wch_q1_format(c->d, out);
	else
		out[0] = 0;
	return out;
}
