/* The original witchery blog's example payload. */
#include <stdio.h>

int main(void)
{
	printf("Hello world\n");
	return 0;
}
