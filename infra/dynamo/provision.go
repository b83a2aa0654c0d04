package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
)

// provisionTimeout bounds how long Provision waits for the table to become
// ACTIVE.
const provisionTimeout = 5 * time.Minute

// Action is what Provision found or did about one aspect of the table.
type Action string

// The actions of a Provision report.
const (
	Created   Action = "created"   // Provision created it as the resource set says
	Unchanged Action = "unchanged" // it already matched the resource set
	Drift     Action = "drift"     // it differs from the resource set; Provision left it alone
)

// Result is one aspect of the table: "table", "keys", "billing",
// "index <name>" or "ttl", with the resource set's description of it (Want) and the
// table's (Got).
type Result struct {
	Aspect    string
	Action    Action
	Want, Got string
}

// Report is what Provision did, one Result per aspect of the table.
type Report struct {
	Table   string // physical name
	Results []Result
}

// Provision creates the table of s if it does not exist: keys and global
// secondary indexes (with their projections) from s.Table, on-demand billing, TTL on
// s.Table.TTLAttribute. It waits (up to 5 minutes) until the table is ACTIVE.
//
// A table that already exists is only compared with the resource set: differences are
// reported as Drift, never changed, so running Provision twice changes nothing.
// It returns the SDK's errors, wrapped.
func Provision(ctx context.Context, api API, s resources.Set) (Report, error) {
	name := s.TableName()
	created := false
	_, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if _, ok := errors.AsType[*types.ResourceNotFoundException](err); ok {
		created, err = createTable(ctx, api, name, s.Table)
	}
	if err != nil {
		return Report{}, fmt.Errorf("provision table %s: %w", name, err)
	}

	desc, err := dynamodb.NewTableExistsWaiter(api).WaitForOutput(ctx,
		&dynamodb.DescribeTableInput{TableName: aws.String(name)}, provisionTimeout)
	if err != nil {
		return Report{}, fmt.Errorf("wait for table %s: %w", name, err)
	}
	if created {
		if _, err := api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(s.Table.TTLAttribute), Enabled: aws.Bool(true),
			},
		}); err != nil {
			return Report{}, fmt.Errorf("enable ttl on table %s: %w", name, err)
		}
	}
	ttl, err := api.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return Report{}, fmt.Errorf("describe ttl of table %s: %w", name, err)
	}

	r := Report{Table: name, Results: compare(name, s.Table, desc.Table, ttl.TimeToLiveDescription)}
	if created {
		for i := range r.Results {
			if r.Results[i].Action == Unchanged {
				r.Results[i].Action = Created
			}
		}
	}
	return r, nil
}

// createTable creates the table. It reports false when the table appeared in
// the meantime (another Provision created it).
func createTable(ctx context.Context, api API, name string, t resources.Table) (bool, error) {
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(t.Hash), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(t.Range), AttributeType: types.ScalarAttributeTypeS},
	}
	define := func(name string, typ types.ScalarAttributeType) {
		if !slices.ContainsFunc(attrs, func(a types.AttributeDefinition) bool { return aws.ToString(a.AttributeName) == name }) {
			attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: typ})
		}
	}
	var indexes []types.GlobalSecondaryIndex
	for _, ix := range t.Indexes {
		define(ix.Hash, types.ScalarAttributeTypeS)
		define(ix.Range, types.ScalarAttributeType(ix.RangeType))
		p := &types.Projection{ProjectionType: types.ProjectionType(ix.Projection)}
		if len(ix.NonKey) > 0 {
			p.NonKeyAttributes = ix.NonKey
		}
		indexes = append(indexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.Hash, ix.Range),
			Projection: p,
		})
	}
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:              aws.String(name),
		AttributeDefinitions:   attrs,
		KeySchema:              keySchema(t.Hash, t.Range),
		GlobalSecondaryIndexes: indexes,
		BillingMode:            types.BillingModePayPerRequest,
	})
	if _, ok := errors.AsType[*types.ResourceInUseException](err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create: %w", err)
	}
	return true, nil
}

func keySchema(hash, rng string) []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange},
	}
}

// compare describes each aspect of the table as the resource set wants it and as it
// is, and marks the ones that differ.
func compare(name string, want resources.Table, got *types.TableDescription, ttl *types.TimeToLiveDescription) []Result {
	attrTypes := make(map[string]string)
	for _, a := range got.AttributeDefinitions {
		attrTypes[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	keys := func(ks []types.KeySchemaElement) string {
		var parts []string
		for _, k := range ks {
			n := aws.ToString(k.AttributeName)
			parts = append(parts, fmt.Sprintf("%s %s %s", n, attrTypes[n], k.KeyType))
		}
		return strings.Join(parts, ", ")
	}

	billing := string(types.BillingModeProvisioned) // what an absent summary means
	if got.BillingModeSummary != nil {
		billing = string(got.BillingModeSummary.BillingMode)
	}
	results := []Result{
		same("table", name, aws.ToString(got.TableName)),
		same("keys", fmt.Sprintf("%s S HASH, %s S RANGE", want.Hash, want.Range), keys(got.KeySchema)),
		same("billing", string(types.BillingModePayPerRequest), billing),
	}

	gotIndexes := make(map[string]string)
	for _, ix := range got.GlobalSecondaryIndexes {
		p := "none"
		if ix.Projection != nil {
			p = projection(string(ix.Projection.ProjectionType), ix.Projection.NonKeyAttributes)
		}
		gotIndexes[aws.ToString(ix.IndexName)] = keys(ix.KeySchema) + ", " + p
	}
	for _, ix := range want.Indexes {
		wantIndex := fmt.Sprintf("%s S HASH, %s %s RANGE, %s", ix.Hash, ix.Range, ix.RangeType, projection(ix.Projection, ix.NonKey))
		gotIndex, ok := gotIndexes[ix.Name]
		if !ok {
			gotIndex = "absent"
		}
		results = append(results, same("index "+ix.Name, wantIndex, gotIndex))
		delete(gotIndexes, ix.Name)
	}
	for _, n := range slices.Sorted(maps.Keys(gotIndexes)) {
		results = append(results, same("index "+n, "absent", gotIndexes[n]))
	}

	return append(results, compareTTL(want.TTLAttribute, ttl))
}

// projection describes an index's projection: its type, then the non-key
// attributes it includes, sorted (DynamoDB lists them in any order).
func projection(typ string, nonKey []string) string {
	d := "projection " + typ
	if len(nonKey) > 0 {
		d += " " + strings.Join(slices.Sorted(slices.Values(nonKey)), ",")
	}
	return d
}

// compareTTL accepts TTL that is being enabled on the right attribute: AWS
// takes up to an hour to finish enabling it.
func compareTTL(attr string, ttl *types.TimeToLiveDescription) Result {
	r := Result{Aspect: "ttl", Action: Drift, Want: attr + " " + string(types.TimeToLiveStatusEnabled), Got: "DISABLED"}
	if ttl == nil || ttl.TimeToLiveStatus == "" {
		return r
	}
	r.Got = strings.TrimSpace(aws.ToString(ttl.AttributeName) + " " + string(ttl.TimeToLiveStatus))
	switch ttl.TimeToLiveStatus {
	case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
		if aws.ToString(ttl.AttributeName) == attr {
			r.Action = Unchanged
		}
	}
	return r
}

// same compares two descriptions of an aspect.
func same(aspect, want, got string) Result {
	a := Unchanged
	if want != got {
		a = Drift
	}
	return Result{Aspect: aspect, Action: a, Want: want, Got: got}
}
