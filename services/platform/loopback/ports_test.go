package loopback

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePortsAreDistinctBindableAndBelowEphemeral(t *testing.T) {
	ports, err := FreePorts(20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 20 {
		t.Fatalf("got %d ports, want 20", len(ports))
	}
	hi := ephemeralLow()
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Errorf("port %d twice", p)
		}
		seen[p] = true
		if p < lowest || p >= hi {
			t.Errorf("port %d outside [%d, %d)", p, lowest, hi)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d not free after FreePorts returned: %v", p, err)
			continue
		}
		l.Close()
	}
}

func TestFreePortNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		p, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}

func TestScanSkipsPortsInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := l.Addr().(*net.TCPAddr).Port
	// A range of one held port has nothing to give.
	if _, err := scan(1, held, held, 0); err == nil {
		t.Fatalf("scan returned the held port %d", held)
	}
	// Starting at the held port, the scan moves past it.
	ports, err := scan(2, held, held+20, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if p == held {
			t.Fatalf("scan returned the held port %d", held)
		}
	}
}

func TestParseLow(t *testing.T) {
	if lo, err := parseLow("32768\t60999\n"); err != nil || lo != 32768 {
		t.Errorf("parseLow = %d, %v", lo, err)
	}
	for _, bad := range []string{"", "32768", "a b", "1 2 3"} {
		if _, err := parseLow(bad); err == nil {
			t.Errorf("parseLow(%q) accepted", bad)
		}
	}
}
