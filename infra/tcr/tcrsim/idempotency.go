package tcrsim

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
	code   int    // the CPaaS reason code of a refusal, as in body; 0 otherwise
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
	byKey     map[string]*submission     // endpoint, record id, key
	byRequest map[string]*submission     // endpoint, record id, body hash
	history   map[string][]*submission   // endpoint, record id: every submission, oldest first
	tried     map[string]map[string]bool // endpoint, record id: the identities of the requests decided, lost ones included
	decided   int                        // submissions so far: the next one's seq
}

func newMemory() *memory {
	return &memory{byKey: map[string]*submission{}, byRequest: map[string]*submission{},
		history: map[string][]*submission{}, tried: map[string]map[string]bool{}}
}

// recall returns the submission r repeats; or, when it repeats none, whether
// it is a resubmission: the endpoint decided a request for r's record with
// another identity before, lost or not. A request like a lost one is neither:
// the downstream never kept the first.
func (m *memory) recall(r request) (prev *submission, resubmission bool) {
	if r.key != "" {
		prev = m.byKey[r.endpoint+"\x00"+r.id+"\x00"+r.key]
	} else {
		prev = m.byRequest[requestHash(r)]
	}
	if prev != nil {
		return prev, false
	}
	for identity := range m.tried[r.endpoint+"\x00"+r.id] {
		if identity != r.identity() {
			return nil, true
		}
	}
	return nil, false
}

// remember stores the decided submission of r.
func (m *memory) remember(r request, s *submission) {
	m.try(r)
	s.seq = m.decided
	m.decided++
	k := r.endpoint + "\x00" + r.id
	m.history[k] = append(m.history[k], s)
	m.byRequest[requestHash(r)] = s
	if r.key != "" {
		m.byKey[r.endpoint+"\x00"+r.id+"\x00"+r.key] = s
	}
}

// lose forgets the decided request r but for the fact that it came, which
// makes a later request for the record with another identity a resubmission.
func (m *memory) lose(r request) { m.try(r) }

func (m *memory) try(r request) {
	k := r.endpoint + "\x00" + r.id
	if m.tried[k] == nil {
		m.tried[k] = map[string]bool{}
	}
	m.tried[k][r.identity()] = true
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
