package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// opDump is the operation a Meter counts the pages of a dump under.
const opDump = "Dump"

// Dump is every record of a table and every audit entry, as the store wrote
// them: what a checker needs to prove a run's histories.
type Dump struct {
	// Records are ordered by kind (brand, campaign, number) and id.
	Records []statemachine.Record
	// Audit holds the audit entries of every record, ordered by kind,
	// record id and version.
	Audit []statemachine.AuditEntry
	// Examined counts the items DynamoDB read (ScannedCount, summed over the
	// pages): the records, their audit items, and the leases and rate limits
	// that share the table.
	Examined int64
	// ReadUnits is the read capacity the dump consumed.
	ReadUnits float64
}

// Dump reads the whole table with one paginated, strongly consistent Scan and
// decodes every record item (sort key "record") and every audit item (sort
// key "audit#<version>", a note's NoteSK) whose partition key names a record kind. Leases and
// rate limits ("lease#...", "rate#...") share the table and are skipped.
//
// A strongly consistent scan reads every write acknowledged before the page
// was read, at twice the cost of an eventually consistent one; it is still
// not a snapshot: a record written during the scan may be read before or
// after the write, and its audit items on another page. Dump a table whose
// writers are idle (a benchmark run that ended), and rarely: like a census it
// reads, and is billed for, every item of the table.
//
// Errors are the SDK's, wrapped, or a decode error naming the item. Every page
// is metered as "Dump".
func (s *Store) Dump(ctx context.Context) (Dump, error) {
	in := &dynamodb.ScanInput{
		TableName:              aws.String(s.table),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	var d Dump
	var cost Meter // this dump's share, for d.ReadUnits
	for p := dynamodb.NewScanPaginator(s.api, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			s.meter.add(opDump, reads, nil)
			return Dump{}, fmt.Errorf("dump: %w", err)
		}
		s.meter.add(opDump, reads, one(out.ConsumedCapacity))
		cost.add(opDump, reads, one(out.ConsumedCapacity))
		d.Examined += int64(out.ScannedCount)
		for _, item := range out.Items {
			if err := d.add(item); err != nil {
				return Dump{}, fmt.Errorf("dump: %w", err)
			}
		}
	}
	slices.SortFunc(d.Records, func(a, b statemachine.Record) int {
		return cmp.Or(cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(d.Audit, func(a, b statemachine.AuditEntry) int {
		return cmp.Or(cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), cmp.Compare(a.RecordID, b.RecordID),
			statemachine.CompareAudit(a, b))
	})
	d.ReadUnits = cost.Snapshot().Total.ReadUnits
	return d, nil
}

// add decodes one item of the table into d: a record, an audit entry, or
// nothing for an item of another kind.
func (d *Dump) add(item map[string]types.AttributeValue) error {
	pk, _ := item[resources.AttrPK].(*types.AttributeValueMemberS)
	sk, _ := item[resources.AttrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return nil
	}
	prefix, _, _ := strings.Cut(pk.Value, "#")
	if _, err := statemachine.ParseKind(prefix); err != nil {
		return nil // a lease or a rate limit
	}
	switch {
	case sk.Value == skRecord:
		r, err := unmarshalRecord(item)
		if err != nil {
			return fmt.Errorf("item %s: %w", pk.Value, err)
		}
		d.Records = append(d.Records, r)
	case strings.HasPrefix(sk.Value, auditPrefix):
		a, err := unmarshalAudit(item)
		if err != nil {
			return fmt.Errorf("item %s %s: %w", pk.Value, sk.Value, err)
		}
		d.Audit = append(d.Audit, a)
	}
	return nil
}

// kindOrder is the position of k in statemachine.Kinds (registration order);
// an unknown kind sorts last.
func kindOrder(k statemachine.Kind) int {
	if i := slices.Index(statemachine.Kinds, k); i >= 0 {
		return i
	}
	return len(statemachine.Kinds)
}
