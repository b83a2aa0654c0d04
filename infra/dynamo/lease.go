package dynamo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
)

// opLease is the operation a Meter counts lease requests under.
const opLease = "Lease"

// DefaultLeaseDuration is how long a lease lasts unless renewed, when
// LeaseConfig.Duration is zero.
const DefaultLeaseDuration = time.Minute

// ErrLeaseLost is returned by [Lease.Renew] and [Lease.Release] when the lease
// is no longer this owner's: it expired and another owner took it, or it was
// released.
var ErrLeaseLost = errors.New("lease lost")

// Lease item attributes besides the keys.
const (
	leasePrefix      = "lease#"
	attrOwner        = "owner"
	attrAcquiredMS   = "acquired_ms"
	attrLeaseExpires = "expires_ms"
)

// LeaseConfig configures a Lease. Zero values mean the documented defaults.
type LeaseConfig struct {
	Table string // physical table name (resources.Set.TableName); required
	Name  string // what the lease guards, such as "sweeper"; required
	// Owner names this holder; default: the host name, the process id and a
	// random suffix, unique to this Lease value.
	Owner string
	// Duration is how long the lease lasts after each Acquire or Renew;
	// default DefaultLeaseDuration.
	Duration time.Duration
	// Now is the clock the expiry is computed with (default time.Now). The
	// holders' clocks must agree to well within Duration.
	Now   func() time.Time
	Meter *Meter // counts requests and consumed capacity; nil counts nothing
}

// Lease is a named lock with an expiry, held in the records table as one item
// (pk "lease#<name>", sk "record"): at most one owner holds it at a time, and
// a holder that dies loses it when it expires. Its times are in Unix
// milliseconds; expires_at, the table's TTL attribute, lets DynamoDB delete an
// abandoned lease. It is safe for concurrent use.
type Lease struct {
	api      API
	table    string
	name     string
	owner    string
	duration time.Duration
	now      func() time.Time
	meter    *Meter
}

// NewLease returns the lease cfg names, not yet acquired. It returns an error
// naming every invalid field of cfg.
func NewLease(api API, cfg LeaseConfig) (*Lease, error) {
	var errs []error
	if api == nil {
		errs = append(errs, errors.New("api is nil"))
	}
	if cfg.Table == "" {
		errs = append(errs, errors.New("table name is empty"))
	}
	if cfg.Name == "" {
		errs = append(errs, errors.New("lease name is empty"))
	}
	if cfg.Duration < 0 {
		errs = append(errs, fmt.Errorf("duration %v is negative", cfg.Duration))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new lease: %w", err)
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	if cfg.Duration == 0 {
		cfg.Duration = DefaultLeaseDuration
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Lease{
		api: api, table: cfg.Table, name: cfg.Name, owner: cfg.Owner,
		duration: cfg.Duration, now: cfg.Now, meter: cfg.Meter,
	}, nil
}

// Owner returns the name this holder writes on the lease.
func (l *Lease) Owner() string { return l.owner }

// Duration returns how long the lease lasts after each Acquire or Renew.
func (l *Lease) Duration() time.Duration { return l.duration }

// Acquire takes the lease for Duration if nobody holds it, its holder let it
// expire, or this owner holds it already (which extends it). It returns false
// and no error when another owner holds it; errors are the SDK's, wrapped.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	now := l.now()
	expires := now.Add(l.duration)
	item := l.key()
	item[attrOwner] = &types.AttributeValueMemberS{Value: l.owner}
	item[attrAcquiredMS] = millis(now)
	item[attrLeaseExpires] = millis(expires)
	item[resources.AttrExpiresAt] = ttl(expires)
	out, err := l.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(l.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #expires <= :now OR #owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK, "#expires": attrLeaseExpires, "#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   millis(now),
			":owner": &types.AttributeValueMemberS{Value: l.owner},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		l.meter.add(opLease, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return false, nil
		}
		return false, fmt.Errorf("acquire lease %s: %w", l.name, err)
	}
	l.meter.add(opLease, writes, one(out.ConsumedCapacity))
	return true, nil
}

// Renew extends the lease to Duration from now, provided this owner still
// holds it. It returns an error wrapping ErrLeaseLost when it does not; other
// errors are the SDK's, wrapped.
func (l *Lease) Renew(ctx context.Context) error {
	expires := l.now().Add(l.duration)
	out, err := l.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      l.key(),
		UpdateExpression:         aws.String("SET #expires = :expires, #ttl = :ttl"),
		ConditionExpression:      aws.String("#owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#expires": attrLeaseExpires, "#ttl": resources.AttrExpiresAt, "#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":expires": millis(expires),
			":ttl":     ttl(expires),
			":owner":   &types.AttributeValueMemberS{Value: l.owner},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		l.meter.add(opLease, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return fmt.Errorf("renew lease %s: %w", l.name, ErrLeaseLost)
		}
		return fmt.Errorf("renew lease %s: %w", l.name, err)
	}
	l.meter.add(opLease, writes, one(out.ConsumedCapacity))
	return nil
}

// Release gives the lease up, provided this owner holds it, so the next
// holder need not wait for it to expire. It returns an error wrapping
// ErrLeaseLost when this owner does not hold it; other errors are the SDK's,
// wrapped.
func (l *Lease) Release(ctx context.Context) error {
	out, err := l.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(l.table),
		Key:                       l.key(),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: l.owner}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		l.meter.add(opLease, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return fmt.Errorf("release lease %s: %w", l.name, ErrLeaseLost)
		}
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	l.meter.add(opLease, writes, one(out.ConsumedCapacity))
	return nil
}

// key is the primary key of the lease item.
func (l *Lease) key() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: &types.AttributeValueMemberS{Value: leasePrefix + l.name},
		resources.AttrSK: &types.AttributeValueMemberS{Value: skRecord},
	}
}

func millis(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixMilli(), 10)}
}

// ttl is t as the table's TTL attribute wants it: Unix seconds, rounded up so
// that DynamoDB never deletes a lease before it expires.
func ttl(t time.Time) types.AttributeValue {
	s := t.Unix()
	if t.Sub(time.Unix(s, 0)) > 0 {
		s++
	}
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(s, 10)}
}

// defaultOwner names this process uniquely: host, pid and a random suffix.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + rand.Text()[:8]
}
