// Package procstatus reads memory fields of /proc/PID/status (Linux):
// VmRSS and VmHWM, the peak resident set size that gopsutil does not
// return. The memory benchmark reads them for its processes, a PDF
// sandbox child for itself.
package procstatus

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Self is the pid that names the calling process.
const Self = 0

// Bytes returns the "kB" field name ("VmRSS", "VmHWM") of the status of
// process pid (Self for this one), in bytes.
func Bytes(pid int, name string) (uint64, error) {
	path := "/proc/self/status"
	if pid != Self {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parse(data, name, path)
}

func parse(data []byte, name, path string) (uint64, error) {
	prefix := []byte(name + ":")
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), prefix)
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%s: unexpected %s line %q", path, name, sc.Text())
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%s: no %s field", path, name)
}
