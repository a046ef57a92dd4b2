// Package loopback picks loopback ports for servers that are started later,
// by another process (a NATS cluster node, a service binary).
//
// Asking the kernel for port 0 and closing the listener is racy: the port
// comes from the ephemeral range, which every other socket on the machine
// (outgoing connections, other tests' ":0" listeners) draws from too, so
// it can be taken again before the server binds it. CI saw exactly that —
// a NATS node of deploy/local failed with "address already in use" while
// other packages' tests ran beside it. Ports below the ephemeral range are
// never handed out by the kernel, so only someone asking for that number
// could take one.
package loopback

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// lowest is the first port FreePorts considers: above the well-known and
// registered services people run on a laptop (docbatch's own fixed ports
// are 4222-8224).
const lowest = 10000

// given holds every port this process has handed out: a caller may take
// ports in several calls before starting anything on them, so a port is
// never handed out twice.
var given = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreePorts returns n distinct loopback TCP ports that nothing listens on
// now and that this process has not handed out before, chosen at random
// below the kernel's ephemeral port range. Each is checked by listening on
// it.
func FreePorts(n int) ([]int, error) {
	if n <= 0 {
		return nil, nil
	}
	hi := ephemeralLow() - 1
	if hi-lowest+1 < n {
		return nil, fmt.Errorf("loopback: only ports %d-%d lie below the ephemeral range, fewer than %d", lowest, hi, n)
	}
	return scan(n, lowest, hi, rand.IntN(hi-lowest+1))
}

// scan tries the ports lo..hi in turn from lo+start, wrapping around, and
// returns the first n it can listen on.
func scan(n, lo, hi, start int) ([]int, error) {
	span := hi - lo + 1
	given.Lock()
	defer given.Unlock()
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < span && len(ports) < n; i++ {
		p := lo + (start+i)%span
		if given.ports[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // in use, or reserved: try the next
		}
		held = append(held, l)
		ports = append(ports, p)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("loopback: found %d free ports in %d-%d, need %d", len(ports), lo, hi, n)
	}
	for _, p := range ports {
		given.ports[p] = true
	}
	return ports, nil
}

// FreePort is FreePorts for one port.
func FreePort() (int, error) {
	p, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// ephemeralLow is the first port of the kernel's ephemeral range: Linux's
// ip_local_port_range, else the IANA dynamic range's start, which is also
// the Linux default's (32768).
func ephemeralLow() int {
	const fallback = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallback
	}
	lo, err := parseLow(string(b))
	if err != nil || lo <= lowest {
		return fallback
	}
	return lo
}

func parseLow(s string) (int, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, errors.New("want two numbers")
	}
	return strconv.Atoi(f[0])
}
