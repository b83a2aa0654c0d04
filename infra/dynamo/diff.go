package dynamo

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// entryWise are the map attributes that writers other than transitions
// change entry by entry, without a new version: ClearOutbox removes outbox
// entries, the marks set times on commands, notes (Note) set carriers' and
// numbers' entries. A transition writes only the entries it changed, so that
// it does not write back an entry as it read it.
var entryWise = map[string]bool{attrOutbox: true, attrCommands: true,
	string(statemachine.NoteCarriers): true, string(statemachine.NoteNumbers): true}

// update is an UpdateItem's expression under construction.
type update struct {
	set, remove []string
	names       map[string]string
	values      map[string]types.AttributeValue
}

// diffUpdate returns the update that turns the item prev into next: it sets
// the attributes that differ and removes those next lacks, and writes the
// entries of the entry-wise maps one by one where both items have the map.
// Attributes equal in both are not written, so that another writer's change
// to them since prev was read stays. Names and values are placeholders (#n0,
// :v0, ...); the caller adds its condition's own.
func diffUpdate(prev, next map[string]types.AttributeValue) update {
	u := update{names: map[string]string{}, values: map[string]types.AttributeValue{}}
	for _, k := range slices.Sorted(maps.Keys(next)) {
		if k == resources.AttrPK || k == resources.AttrSK {
			continue
		}
		was, had := prev[k]
		if had && reflect.DeepEqual(was, next[k]) {
			continue
		}
		pm, okp := was.(*types.AttributeValueMemberM)
		nm, okn := next[k].(*types.AttributeValueMemberM)
		if entryWise[k] && okp && okn {
			u.entries(k, pm.Value, nm.Value)
			continue
		}
		u.set = append(u.set, u.name(k)+" = "+u.value(next[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(prev)) {
		if _, ok := next[k]; !ok {
			u.remove = append(u.remove, u.name(k))
		}
	}
	return u
}

// entries writes the entries of map attribute k that differ.
func (u *update) entries(k string, prev, next map[string]types.AttributeValue) {
	attr := u.name(k)
	for _, e := range slices.Sorted(maps.Keys(next)) {
		if was, ok := prev[e]; !ok || !reflect.DeepEqual(was, next[e]) {
			u.set = append(u.set, attr+"."+u.name(e)+" = "+u.value(next[e]))
		}
	}
	for _, e := range slices.Sorted(maps.Keys(prev)) {
		if _, ok := next[e]; !ok {
			u.remove = append(u.remove, attr+"."+u.name(e))
		}
	}
}

func (u *update) name(n string) string {
	p := "#n" + strconv.Itoa(len(u.names))
	u.names[p] = n
	return p
}

func (u *update) value(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(u.values))
	u.values[p] = v
	return p
}

// unnoted is the condition (each part after an AND) that every entry of the
// maps notes change (statemachine.NoteMap) that the item next keeps as it is
// in the item prev is still as in prev. An entry next changes is not
// required: the transition's own value replaces whatever a note wrote there
// (a carrier's approval that completes the carriers, over its own review).
func (u *update) unnoted(prev, next map[string]types.AttributeValue) string {
	var b strings.Builder
	for _, m := range []statemachine.NoteMap{statemachine.NoteCarriers, statemachine.NoteNumbers} {
		entries, ok := prev[string(m)].(*types.AttributeValueMemberM)
		if !ok {
			continue
		}
		kept, _ := next[string(m)].(*types.AttributeValueMemberM)
		var attr string
		for _, k := range slices.Sorted(maps.Keys(entries.Value)) {
			if kept == nil || !reflect.DeepEqual(kept.Value[k], entries.Value[k]) {
				continue
			}
			if attr == "" {
				attr = u.name(string(m))
			}
			b.WriteString(" AND " + attr + "." + u.name(k) + " = " + u.value(entries.Value[k]))
		}
	}
	return b.String()
}

// expression is the UpdateExpression.
func (u *update) expression() string {
	var b strings.Builder
	if len(u.set) > 0 {
		b.WriteString("SET " + strings.Join(u.set, ", "))
	}
	if len(u.remove) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("REMOVE " + strings.Join(u.remove, ", "))
	}
	return b.String()
}
