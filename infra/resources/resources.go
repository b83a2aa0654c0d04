// Package resources is the one definition of tendlc's AWS resources: every queue
// with its dead-letter queue and attributes, and the DynamoDB table with its
// keys, indexes and TTL. Provisioning and the CloudFormation template are both
// generated from it, so they cannot drift apart.
package resources

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Queue is one SQS queue.
type Queue struct {
	Logical           string        // logical name, e.g. "events" or "events-dlq"
	VisibilityTimeout time.Duration // how long a received message stays hidden
	Retention         time.Duration // MessageRetentionPeriod
	ReceiveWait       time.Duration // ReceiveMessageWaitTimeSeconds (long polling)
	DeadLetter        string        // logical name of its DLQ; "" for a DLQ itself
	MaxReceiveCount   int           // RedrivePolicy: receives before SQS moves a message to the DLQ
}

// IsDLQ reports whether q is a dead-letter queue.
func (q Queue) IsDLQ() bool { return q.DeadLetter == "" }

// Attributes returns the SQS attributes of q. dlqARN is the ARN of its
// dead-letter queue (ignored for a DLQ).
func (q Queue) Attributes(dlqARN string) map[string]string {
	a := map[string]string{
		"VisibilityTimeout":             secs(q.VisibilityTimeout),
		"MessageRetentionPeriod":        secs(q.Retention),
		"ReceiveMessageWaitTimeSeconds": secs(q.ReceiveWait),
		"MaximumMessageSize":            strconv.Itoa(statemachine.MaxMessageBytes),
	}
	if !q.IsDLQ() {
		a["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"%d"}`, dlqARN, q.MaxReceiveCount)
	}
	return a
}

func secs(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// Defaults for queues. The visibility timeout is short, so that the messages
// of a worker killed outright come back within seconds: the consumer runtime
// extends it every third of it (5 s) while a handler runs, so a slow handler
// keeps its message.
const (
	DefaultVisibilityTimeout = 15 * time.Second
	DefaultRetention         = 14 * 24 * time.Hour // the SQS maximum
	DefaultReceiveWait       = 20 * time.Second    // the SQS maximum
	// DefaultMaxReceiveCount is the backstop for messages that kill the
	// process: the retry middleware moves failing messages itself long before.
	DefaultMaxReceiveCount = 10
)

// DLQ returns the logical name of the dead-letter queue of logical queue q.
func DLQ(q string) string { return q + "-dlq" }

// Table key and index names.
const (
	AttrPK           = "pk"               // "<kind>#<id>", "lease#<name>", "rate#<downstream>"
	AttrSK           = "sk"               // "record", "audit#<version>" or a note's "audit#<version>#<decided at>#<hash>"
	AttrWaiting      = "waiting"          // "<kind>#<state>", set only in the states the sweeper watches (sparse index)
	AttrStateEntered = "state_entered_ms" // Unix milliseconds: when the record entered its state
	AttrWaitSince    = "wait_since_ms"    // Unix milliseconds: when its current wait started, the waiting index's sort key
	AttrParent       = "parent"           // "<kind>#<id>" of the parent record
	AttrExpiresAt    = "expires_at"       // TTL, Unix seconds
	AttrKind         = "kind"             // a record's kind
	AttrID           = "id"               // a record's id
	AttrState        = "state"            // a record's state
	// IndexWaiting holds the keys of the records in a waiting state, keyed
	// on the wait's start; the stuck-record query reads the records it lists
	// from the table. IndexByParent holds a record's kind, id and state under
	// its parent's key. Both were named "waiting_since" and "by_parent" when
	// they projected every attribute (and the waiting index "waiting" when it
	// was keyed on state_entered_ms): DynamoDB changes neither the key nor the
	// projection of an index in place, so a deployment adds these with
	// UpdateTable, deploys, then deletes the old ones.
	IndexWaiting  = "waiting_keys"
	IndexByParent = "children"
)

// The projections of an index: what DynamoDB copies into it besides the keys
// of the table and of the index.
const (
	ProjectKeysOnly = "KEYS_ONLY" // the keys alone
	ProjectInclude  = "INCLUDE"   // the keys and Index.NonKey
	ProjectAll      = "ALL"       // every attribute
)

// Index is a global secondary index of the table. Every write that changes an
// item's projected attributes rewrites its copy in the index (a delete and a
// put when the index key changes), so an index projects only what its
// readers use.
type Index struct {
	Name       string
	Hash       string // a string attribute
	Range      string
	RangeType  string   // "S" or "N"
	Projection string   // ProjectKeysOnly, ProjectInclude or ProjectAll
	NonKey     []string // the attributes a ProjectInclude projection adds, sorted
}

// Table is the one DynamoDB table (on-demand billing).
type Table struct {
	Logical      string
	Hash, Range  string // both string attributes
	Indexes      []Index
	TTLAttribute string
}

// Set is the complete set of resources of one deployment. Every physical name
// is Prefix + logical name, so several deployments (or tests) share an account.
type Set struct {
	Prefix string
	Queues []Queue // each DLQ precedes the queue that uses it
	Table  Table
}

// Default returns the resources of a deployment whose names start with prefix:
// a queue and its DLQ per destination, the bridges' included
// (statemachine.Queues).
func Default(prefix string) Set {
	s := Set{Prefix: prefix}
	for _, d := range statemachine.Queues() {
		s.Queues = append(s.Queues,
			Queue{Logical: DLQ(string(d)), VisibilityTimeout: DefaultVisibilityTimeout,
				Retention: DefaultRetention, ReceiveWait: DefaultReceiveWait},
			Queue{Logical: string(d), VisibilityTimeout: DefaultVisibilityTimeout,
				Retention: DefaultRetention, ReceiveWait: DefaultReceiveWait,
				DeadLetter: DLQ(string(d)), MaxReceiveCount: DefaultMaxReceiveCount})
	}
	s.Table = Table{
		Logical: "records",
		Hash:    AttrPK,
		Range:   AttrSK,
		Indexes: []Index{
			{Name: IndexWaiting, Hash: AttrWaiting, Range: AttrWaitSince, RangeType: "N", Projection: ProjectKeysOnly},
			{Name: IndexByParent, Hash: AttrParent, Range: AttrPK, RangeType: "S", Projection: ProjectInclude,
				NonKey: []string{AttrID, AttrKind, AttrState}},
		},
		TTLAttribute: AttrExpiresAt,
	}
	return s
}

// QueueName returns the physical name of a logical queue.
func (s Set) QueueName(logical string) string { return s.Prefix + logical }

// TableName returns the physical table name.
func (s Set) TableName() string { return s.Prefix + s.Table.Logical }

// Queue returns the queue with the logical name, and whether it exists.
func (s Set) Queue(logical string) (Queue, bool) {
	for _, q := range s.Queues {
		if q.Logical == logical {
			return q, true
		}
	}
	return Queue{}, false
}
