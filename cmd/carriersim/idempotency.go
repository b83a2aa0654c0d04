package main

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// answer is an HTTP answer as the simulator remembers it.
type answer struct {
	status int
	body   []byte // JSON; nil for none
}

// submission is a decided request: its answer and the events it planned.
type submission struct {
	answer answer
	events []*event
	seq    int // the order in which the memory took it
}

// memory recognises repeated requests, as a registry does, and keeps every
// record's decisions for the status look-ups. With an Idempotency-Key, a
// request repeats an earlier one to the same endpoint and record with the same
// key; without one, it repeats an identical earlier request (same endpoint,
// record and body). It is not safe for concurrent use: the simulator holds its
// decision lock around it.
type memory struct {
	byKey     map[string]*submission   // endpoint, record id, key
	byRequest map[string]*submission   // endpoint, record id, body hash
	history   map[string][]*submission // endpoint, record id: every submission, oldest first
	decided   int                      // submissions so far: the next one's seq
}

func newMemory() *memory {
	return &memory{byKey: map[string]*submission{}, byRequest: map[string]*submission{}, history: map[string][]*submission{}}
}

// recall returns the submission r repeats, or nil; and whether the endpoint
// has seen r's record before (a resubmission when nothing is repeated).
func (m *memory) recall(r request) (prev *submission, seen bool) {
	if r.key != "" {
		prev = m.byKey[r.endpoint+"\x00"+r.id+"\x00"+r.key]
	} else {
		prev = m.byRequest[requestHash(r)]
	}
	return prev, len(m.history[r.endpoint+"\x00"+r.id]) > 0
}

// remember stores the decided submission of r.
func (m *memory) remember(r request, s *submission) {
	s.seq = m.decided
	m.decided++
	k := r.endpoint + "\x00" + r.id
	m.history[k] = append(m.history[k], s)
	m.byRequest[requestHash(r)] = s
	if r.key != "" {
		m.byKey[r.endpoint+"\x00"+r.id+"\x00"+r.key] = s
	}
}

// submissions returns the submissions for record id at the endpoints with
// the given patterns, in the order they were decided.
func (m *memory) submissions(patterns []string, id string) []*submission {
	var out []*submission
	for _, p := range patterns {
		out = append(out, m.history[p+"\x00"+id]...)
	}
	slices.SortFunc(out, func(a, b *submission) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// identity tells r apart from the other requests for its record at its
// endpoint: its Idempotency-Key, or the hash of its body when it has none.
func (r request) identity() string {
	if r.key != "" {
		return "key\x00" + r.key
	}
	return "body\x00" + requestHash(r)
}

func requestHash(r request) string {
	h := sha256.New()
	h.Write([]byte(r.endpoint + "\x00" + r.id + "\x00"))
	h.Write(r.body)
	return hex.EncodeToString(h.Sum(nil))
}
