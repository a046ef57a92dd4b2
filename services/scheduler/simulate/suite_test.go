package simulate

import "testing"

func TestSuiteFigures(t *testing.T) {
	r, err := RunSuite(Suite(200, 1))
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 6 || r.MakespanRatio < 1 || r.FIFOMakespanRatio < 1 || r.SeedMakespanRatio < 1 {
		t.Fatalf("implausible suite result: %+v", r)
	}
	if len(r.Regimes) != 2 || len(r.Families) != 3 {
		t.Fatalf("want both regimes and three families: %+v", r)
	}
	for name, rg := range r.Regimes {
		if rg.Runs != 3 || rg.MakespanRatio < 1 || rg.DAGImprovementCeiling < rg.DAGImprovementVsFIFO-1e-9 {
			t.Fatalf("regime %s implausible: %+v", name, rg)
		}
	}
	if c, l := r.Regimes["cluster"], r.Regimes["laptop"]; c.Slots != 64 || l.Slots != 8 || c.Docs != 8*l.Docs {
		t.Fatalf("regimes: cluster %+v, laptop %+v", c, l)
	}
	t.Logf("%+v", r)
}
