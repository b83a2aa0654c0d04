package handlers

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/tendlc/tendlc/statemachine"
)

// memStore is an in-memory Store with the same conditional semantics as the
// DynamoDB store. It counts the children queries.
type memStore struct {
	mu              sync.Mutex
	records         map[string]statemachine.Record
	audit           map[string][]statemachine.AuditEntry
	childrenQueries int
}

func newMemStore() *memStore {
	return &memStore{records: map[string]statemachine.Record{}, audit: map[string][]statemachine.AuditEntry{}}
}

func key(k statemachine.Kind, id string) string { return string(k) + "#" + id }

func (s *memStore) Get(_ context.Context, k statemachine.Kind, id string) (*statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key(k, id)]
	if !ok {
		return nil, statemachine.ErrNotFound
	}
	r.Outbox = maps.Clone(r.Outbox)
	return &r, nil
}

func (s *memStore) Transition(_ context.Context, prev *statemachine.Record, next statemachine.Record, a statemachine.AuditEntry) (statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(next.Kind, next.ID)
	cur, exists := s.records[k]
	switch {
	case prev == nil && exists, prev != nil && (!exists || cur.State != prev.State || cur.Version != prev.Version ||
		noted(prev.Carriers, next.Carriers, cur.Carriers) || noted(prev.Numbers, next.Numbers, cur.Numbers)):
		c := &statemachine.ConflictError{Kind: next.Kind, ID: next.ID}
		if prev != nil {
			c.ExpectedState, c.ExpectedVersion = prev.State, prev.Version
		}
		return statemachine.Record{}, c
	}
	next.Version = 1
	if prev != nil {
		next.Version = prev.Version + 1
		// Like the DynamoDB store, which writes only what changed: an entry
		// cleared since prev was read stays cleared.
		next.Outbox = maps.Clone(next.Outbox)
		for id := range prev.Outbox {
			if _, ok := cur.Outbox[id]; !ok {
				delete(next.Outbox, id)
			}
		}
	}
	a.Version = next.Version
	s.records[k] = next
	s.audit[k] = append(s.audit[k], a)
	return next, nil
}

// noted reports whether an entry that next keeps as prev has it changed in
// cur since prev was read: as the DynamoDB store, a transition requires the
// entries it does not write as it read them.
func noted[K comparable, V comparable](prev, next, cur map[K]V) bool {
	for k, v := range prev {
		if nv, ok := next[k]; ok && nv == v && cur[k] != v {
			return true
		}
	}
	return false
}

func (s *memStore) Note(_ context.Context, prev statemachine.Record, n statemachine.Note, a statemachine.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(prev.Kind, prev.ID)
	cur, exists := s.records[k]
	if !exists || !n.Holds(prev, cur) {
		return &statemachine.ConflictError{Kind: prev.Kind, ID: prev.ID, ExpectedState: prev.State, ExpectedVersion: prev.Version}
	}
	switch n.Map {
	case statemachine.NoteCarriers:
		cur.Carriers = maps.Clone(cur.Carriers)
		cur.Carriers[statemachine.Carrier(n.Key)] = statemachine.CarrierStatus(n.Value)
	case statemachine.NoteNumbers:
		cur.Numbers = maps.Clone(cur.Numbers)
		cur.Numbers[n.Key] = statemachine.NumberStatus(n.Value)
	}
	cur.UpdatedAt, cur.LastMessageID = a.At, a.MessageID
	cur.Applied = append(slices.Clone(cur.Applied), n.ID)
	a.Version, a.Note = prev.Version, true
	s.records[k] = cur
	s.audit[k] = append(s.audit[k], a)
	return nil
}

func (s *memStore) ClearOutbox(_ context.Context, k statemachine.Kind, id, eventID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key(k, id)]
	if !ok || r.Outbox[eventID] == nil {
		return nil
	}
	r.Outbox = maps.Clone(r.Outbox)
	delete(r.Outbox, eventID)
	s.records[key(k, id)] = r
	return nil
}

func (s *memStore) Children(_ context.Context, k statemachine.Kind, parent string) ([]statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.childrenQueries++
	var out []statemachine.Record
	for _, r := range s.records {
		if r.ParentID == parent && r.Kind != k {
			out = append(out, r)
		}
	}
	return out, nil
}

// memSender records sent messages; failNext makes the next sends fail.
type memSender struct {
	mu       sync.Mutex
	sent     []statemachine.Outgoing
	failNext int
}

var errSend = errors.New("send failed")

func (s *memSender) Send(_ context.Context, out []statemachine.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		return errSend
	}
	s.sent = append(s.sent, out...)
	return nil
}

// take returns and forgets what was sent.
func (s *memSender) take() []statemachine.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.sent)
	s.sent = nil
	return out
}
