package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

// Config configures a Store.
type Config struct {
	Table string // physical table name (resources.Set.TableName); required
	Meter *Meter // counts requests and consumed capacity; nil counts nothing
}

// Store reads and writes records and their audit trail in one DynamoDB table.
// It is safe for concurrent use.
type Store struct {
	api   API
	table string
	meter *Meter
}

// New returns a Store that talks to api. It returns an error naming every
// invalid field of cfg.
func New(api API, cfg Config) (*Store, error) {
	var errs []error
	if api == nil {
		errs = append(errs, errors.New("api is nil"))
	}
	if cfg.Table == "" {
		errs = append(errs, errors.New("table name is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new dynamo store: %w", err)
	}
	return &Store{api: api, table: cfg.Table, meter: cfg.Meter}, nil
}

// Get reads a record with a strongly consistent read. It returns an error
// wrapping statemachine.ErrNotFound when the record does not exist; other
// errors are the SDK's, wrapped.
func (s *Store) Get(ctx context.Context, kind statemachine.Kind, id string) (*statemachine.Record, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.table),
		Key:                    recordKey(kind, id),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		s.meter.add(opGet, reads, nil)
		return nil, fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	s.meter.add(opGet, reads, one(out.ConsumedCapacity))
	if out.Item == nil {
		return nil, fmt.Errorf("get %s %s: %w", kind, id, statemachine.ErrNotFound)
	}
	r, err := unmarshalRecord(out.Item)
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	return &r, nil
}
