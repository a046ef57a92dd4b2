//go:build slow

package eval

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCitationsELife runs the citations evaluation on the shared eLife set
// (../shared/data from the project's root) and checks the figures are in
// the ranges the issue asks for.
func TestCitationsELife(t *testing.T) {
	diff := &strings.Builder{}
	defer func() { t.Logf("diff:\n%s", diff) }()
	dir := filepath.Join("..", "..", "shared", "data", "papers")
	docs := filepath.Join(dir, "elife-jats")
	gold := filepath.Join(dir, "elife-jats-citations.csv")
	if _, err := os.Stat(gold); err != nil {
		t.Skipf("shared data not found at %s: %v", dir, err)
	}
	res, err := Citations(context.Background(), docs, CitationsOptions{Gold: gold, Labels: LabelsSubjectHeading, Diff: diff})
	require.NoError(t, err)
	out, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("%s", out)
	assert.GreaterOrEqual(t, res.Documents, 300)
	assert.Zero(t, res.Failed)
	assert.Equal(t, 245, res.GoldEdges)
	assert.GreaterOrEqual(t, res.EdgeF1, 0.99)
	assert.GreaterOrEqual(t, res.EdgeF1WithoutDOI, 0.97)
	require.NotNil(t, res.DomainNMI)
	assert.GreaterOrEqual(t, *res.DomainNMI, 0.5)
	assert.Greater(t, *res.DomainARI, 0.1)
	assert.Greater(t, res.Modularity, 0.2)
}
