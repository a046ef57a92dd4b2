package simulate

import "testing"

func TestSuiteFigures(t *testing.T) {
	r, err := RunSuite(Suite(300, 2))
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 6 || r.MakespanRatio < 1 || r.FIFOMakespanRatio < 1 || r.SeedMakespanRatio < 1 {
		t.Fatalf("implausible suite result: %+v", r)
	}
	t.Logf("%+v", r)
}
