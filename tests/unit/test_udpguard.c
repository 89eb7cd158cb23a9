/* Check suite for udpguard.c: sources whose datagrams are never answered. */
#include "echod/udpguard.h"
#include "unit.h"

START_TEST(test_reflector_ports)
{
	static const unsigned never[] = { 0, 7, 13, 17, 19, 37 };
	unsigned i;

	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		ck_assert(udpguard_port_is_reflector(never[i]));
	ck_assert(!udpguard_port_is_reflector(1));
	ck_assert(!udpguard_port_is_reflector(53));
	ck_assert(!udpguard_port_is_reflector(40000));
}
END_TEST

int
main(void)
{
	return UNIT_RUN("udpguard", test_reflector_ports);
}
