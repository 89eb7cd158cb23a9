/*
 * udpguard.c: the rules for datagrams never answered (see udpguard.h).
 */
#include "echod/udpguard.h"

int
udpguard_port_is_reflector(unsigned port)
{
	return port == 0 || port == 7 || port == 13 || port == 17 ||
	    port == 19 || port == 37;
}
