package headroom

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompute(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name string
		r    Reading
		want uint64
	}{
		{"budget bounds", Reading{Budget: 2 * gib, Reserved: gib / 2, SystemAvailable: 16 * gib}, 2*gib - gib/2},
		{"system bounds", Reading{Budget: 8 * gib, SystemAvailable: gib}, gib},
		{"cgroup bounds", Reading{Budget: 8 * gib, SystemAvailable: 16 * gib, CgroupLimited: true, CgroupLimit: 3 * gib, CgroupUsage: 2 * gib}, gib},
		{"over-reserved clamps to zero", Reading{Budget: gib, Reserved: 2 * gib, SystemAvailable: 16 * gib}, 0},
		{"cgroup over limit clamps to zero", Reading{Budget: gib, CgroupLimited: true, CgroupLimit: gib, CgroupUsage: gib + 1}, 0},
		{"unknown system is left out", Reading{Budget: gib}, gib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Compute(tt.r))
		})
	}
}

func TestReadIgnoresUnlimitedCgroup(t *testing.T) {
	for _, limit := range []uint64{9223372036854771712, math.MaxUint64, 0} {
		m := New(4<<30, func() uint64 { return 1 << 30 },
			WithSystemReader(func(context.Context) (uint64, error) { return 10 << 30, nil }),
			WithCgroupReader(func(context.Context) (uint64, uint64, error) { return limit, 5 << 30, nil }))
		r, err := m.Read(context.Background())
		require.NoError(t, err)
		require.False(t, r.CgroupLimited, "limit %d", limit)
		require.Equal(t, uint64(3<<30), r.Available)
	}
}

func TestReadFallsBackWhenSourcesFail(t *testing.T) {
	m := New(1<<30, nil,
		WithSystemReader(func(context.Context) (uint64, error) { return 0, errors.New("no /proc") }),
		WithCgroupReader(func(context.Context) (uint64, uint64, error) { return 0, 0, errors.New("no cgroup") }))
	r, err := m.Read(context.Background())
	require.Error(t, err)
	require.Equal(t, uint64(1<<30), r.Available)
}

// TestReadThisMachine checks the real readers: the budget always bounds the
// figure, and the system reader works wherever the tests run.
func TestReadThisMachine(t *testing.T) {
	m := New(1<<30, nil)
	r, _ := m.Read(context.Background())
	require.NotZero(t, r.SystemAvailable)
	require.LessOrEqual(t, r.Available, uint64(1<<30))
	t.Logf("reading: %+v", r)
}
