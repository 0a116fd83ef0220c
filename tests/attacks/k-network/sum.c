/*
 * Reach the network: connects over TCP to the listener of the test on the
 * machine's loopback (port in $K_NETWORK_PORT, an ordinary variable that
 * is passed on), and to 1.1.1.1:53. Exits 3 when a connection was made, 5
 * when none could be (contained: the run's network namespace has a
 * loopback of its own and no route out).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int reach(const char *ip, int port)
{
	struct sockaddr_in a = {0};
	int s = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (s < 0)
		return 0;
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (ok && write(s, "k-network", 9) < 0)
		ok = 1;
	close(s);
	return ok;
}

int main(void)
{
	const char *port = getenv("K_NETWORK_PORT");
	int reached = (port && reach("127.0.0.1", atoi(port))) || reach("1.1.1.1", 53);

	fprintf(stderr, "k-network: %s\n", reached ? "reached" : "no connection");
	return reached ? 3 : 5;
}
