package statemachine

import (
	"cmp"
	"errors"
	"maps"
	"slices"

	"github.com/looplab/fsm"
)

// ErrNewerFlow: the record, or the event, belongs to a newer flow than the
// one the deciding replica runs, and that flow's table of the kind differs
// from the replica's. It is not malformed: during a rolling deploy a replica
// that runs the newer flow decides it, so [Decide] defers it
// ([Decision.NewerFlow]) rather than reject it.
var ErrNewerFlow = errors.New("record or event of a newer flow")

// ReasonNewerFlow is the reason of a deferral for [ErrNewerFlow].
const ReasonNewerFlow = "newer flow"

// ReasonOtherFlow is the reason an event is ignored when the replica knows
// it but the record's flow has no such event (an evidence decision about a
// campaign that started on flow v1, which never sent its evidence).
const ReasonOtherFlow = "not on the record's flow"

// table is the state machine of one kind on one flow: the matrix rows and
// columns, the main path, every event's spec and the looplab/fsm events the
// specs' moves make.
type table struct {
	states   []State
	events   []EventType
	mainPath []State
	spec     kindSpec
	fsm      fsm.Events
}

func newTable(states []State, events []EventType, path []State, spec kindSpec) *table {
	return &table{states: states, events: events, mainPath: path, spec: spec, fsm: fsmEvents(spec)}
}

// newest is the newest flow this build knows.
var newest = Flows[len(Flows)-1]

// NewestFlow returns the newest flow this build knows: the one whose
// matrices hold every state and event ([States], [Events]), and on which an
// operator's tool decides and re-drives records of any flow.
func NewestFlow() Flow { return newest }

// tables holds the tables of every flow. A flow shares the previous flow's
// table of each kind it does not change: a record of such a kind is decided
// alike on either, so a replica on the older flow decides it too.
var tables = func() map[Flow]map[Kind]*table {
	v1 := map[Kind]*table{}
	for _, k := range Kinds {
		v1[k] = newTable(statesByKind[k], eventsByKind[k], mainPath[k], specs[k])
	}
	v2 := maps.Clone(v1)
	v2[KindCampaign] = newTable(campaignStatesV2, campaignEventsV2, campaignPathV2, campaignSpecV2)
	return map[Flow]map[Kind]*table{FlowV1: v1, FlowV2: v2}
}()

// tableOf returns the table of kind k on flow f (the zero flow is v1), or
// nil for a flow or kind this build does not know.
func tableOf(f Flow, k Kind) *table { return tables[f.OrV1()][k] }

// sameTable reports whether flows a and b decide kind k alike: both known,
// with the same table.
func sameTable(a, b Flow, k Kind) bool {
	ta, tb := tableOf(a, k), tableOf(b, k)
	return ta != nil && ta == tb
}

// Decides reports whether a replica on flow f (the zero flow is v1) decides
// record rec: rec's flow is no newer than f, or decides rec's kind as f
// does. A replica leaves a record it does not decide to one on its flow:
// [Decide] defers its events, and the sweeper does not re-drive it.
func (f Flow) Decides(rec Record) bool {
	rf := rec.Flow.OrV1()
	return rf <= f.OrV1() || sameTable(rf, f, rec.Kind)
}

// fsmEvents returns the looplab/fsm event table of a kind's spec, sorted by
// name so that diagrams are stable.
func fsmEvents(spec kindSpec) fsm.Events {
	var evs fsm.Events
	for _, es := range spec {
		for _, m := range es.moves {
			src := make([]string, len(m.src))
			for i, s := range m.src {
				src[i] = string(s)
			}
			evs = append(evs, fsm.EventDesc{Name: m.name, Src: src, Dst: string(m.dst)})
		}
	}
	slices.SortFunc(evs, func(a, b fsm.EventDesc) int { return cmp.Compare(a.Name, b.Name) })
	return evs
}
