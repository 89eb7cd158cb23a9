/*
 * udpguard: which datagrams the UDP echo must never answer, because the
 * answer could start an endless exchange with another service (an echo
 * loop) or reflect traffic at a victim.  Pure: the caller gives the
 * source address.
 */
#ifndef ECHOD_UDPGUARD_H
#define ECHOD_UDPGUARD_H

/*
 * 1 if datagrams from source port PORT are never answered: 0 (not a real
 * source) and the well-known services that answer whatever they get:
 * 7 echo, 13 daytime, 17 qotd, 19 chargen, 37 time.
 */
int	udpguard_port_is_reflector(unsigned port);

#endif
