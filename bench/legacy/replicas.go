package legacy

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// maxStartAttempts bounds the starts in a row of a replica that exits while
// starting.
const maxStartAttempts = 3

// replicaStarter starts the regd replicas of a run as a platform would. Each
// start gets a fault seed of its own: regd's fault layer draws its faults
// from its seed, so replicas and restarts sharing one would all meet the same
// faults at the same calls. And a replica that exits while starting (an
// injected fault on one of its startup calls makes it exit, as it would in
// production) is started again. A replica deployed on a flow (deploy) runs it
// from then on, restarts included.
type replicaStarter struct {
	sup    *bench.Supervisor
	stdout io.Writer
	index  map[*bench.Proc]int      // replica number, from 0
	args   map[*bench.Proc][]string // the replica's flags, without a seed
	starts map[*bench.Proc]int
	flows  map[*bench.Proc]statemachine.Flow // the flow of a deployed replica
}

func newReplicaStarter(sup *bench.Supervisor, stdout io.Writer, replicas []*bench.Proc) *replicaStarter {
	s := &replicaStarter{sup: sup, stdout: stdout, index: map[*bench.Proc]int{}, args: map[*bench.Proc][]string{},
		starts: map[*bench.Proc]int{}, flows: map[*bench.Proc]statemachine.Flow{}}
	for i, p := range replicas {
		s.index[p], s.args[p] = i, slices.Clone(p.Args)
	}
	return s
}

// start starts p with a fresh fault seed, on the flow it was deployed on
// if any, up to maxStartAttempts times while it exits before it is ready.
// It returns the last start's error.
func (s *replicaStarter) start(ctx context.Context, p *bench.Proc) error {
	args := s.args[p]
	if f, ok := s.flows[p]; ok {
		args = bench.WithFlow(args, f)
	}
	var err error
	for range maxStartAttempts {
		s.starts[p]++
		p.Args = withFaultSeed(args, uint64(s.index[p]+1)<<20|uint64(s.starts[p]))
		if err = s.sup.Start(ctx, p); err == nil || ctx.Err() != nil {
			return err
		}
		first, _, _ := strings.Cut(err.Error(), "\n")
		fmt.Fprintf(s.stdout, "regbench: %s; starting it again\n", first)
	}
	return err
}

// deploy starts p on flow, and on flow from then on.
func (s *replicaStarter) deploy(ctx context.Context, p *bench.Proc, flow statemachine.Flow) error {
	s.flows[p] = flow
	return s.start(ctx, p)
}

// withFaultSeed returns args with seed added to the value of its -faults
// flag, unless that value sets a seed already or there is no such flag.
func withFaultSeed(args []string, seed uint64) []string {
	out := slices.Clone(args)
	for i, a := range out {
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "faults" {
			continue
		}
		if !inline {
			if i+1 >= len(out) {
				return out
			}
			value = out[i+1]
		}
		if value == "" || slices.ContainsFunc(strings.Split(value, ","), func(p string) bool { return strings.HasPrefix(strings.TrimSpace(p), "seed=") }) {
			return out
		}
		value += ",seed=" + strconv.FormatUint(seed, 10)
		if inline {
			out[i] = a[:len(a)-len(strings.TrimLeft(a, "-"))] + "faults=" + value
		} else {
			out[i+1] = value
		}
	}
	return out
}
