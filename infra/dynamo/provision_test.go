package dynamo

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
)

func TestProvisionTwice(t *testing.T) {
	t.Parallel()
	api := awstest.DynamoDB(t)
	s := resources.Default(awstest.Prefix(t))
	deleteOnCleanup(t, api, s.TableName())

	first, err := Provision(t.Context(), api, s)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Provision(t.Context(), api, s)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Table: s.TableName(), Results: []Result{
		{Aspect: "table", Want: s.TableName(), Got: s.TableName()},
		{Aspect: "keys", Want: "pk S HASH, sk S RANGE", Got: "pk S HASH, sk S RANGE"},
		{Aspect: "billing", Want: "PAY_PER_REQUEST", Got: "PAY_PER_REQUEST"},
		{Aspect: "index waiting_keys", Want: "waiting S HASH, wait_since_ms N RANGE, projection KEYS_ONLY",
			Got: "waiting S HASH, wait_since_ms N RANGE, projection KEYS_ONLY"},
		{Aspect: "index children", Want: "parent S HASH, pk S RANGE, projection INCLUDE id,kind,state",
			Got: "parent S HASH, pk S RANGE, projection INCLUDE id,kind,state"},
		{Aspect: "ttl", Want: "expires_at ENABLED", Got: "expires_at ENABLED"},
	}}
	for _, tt := range []struct {
		name   string
		report Report
		action Action
	}{
		{"first run creates", first, Created},
		{"second run changes nothing", second, Unchanged},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := Report{Table: want.Table}
			for _, r := range want.Results {
				r.Action = tt.action
				w.Results = append(w.Results, r)
			}
			if !reflect.DeepEqual(tt.report, w) {
				t.Errorf("report =\n %+v\nwant\n %+v", tt.report, w)
			}
		})
	}
}

func TestProvisionReportsDriftWithoutChanging(t *testing.T) {
	t.Parallel()
	api := awstest.DynamoDB(t)
	s := resources.Default(awstest.Prefix(t))
	name := s.TableName()
	deleteOnCleanup(t, api, name)

	// A table made by hand: provisioned billing, the waiting index of the
	// releases that measured a wait from the state entry, the by_parent index
	// of the releases that projected every attribute, the children index
	// under its name but with that projection, an index the resource set does
	// not have, no waiting_keys index and no TTL.
	throughput := &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
	if _, err := api.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("waiting"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("state_entered_ms"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("parent"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("x"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: keySchema("pk", "sk"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String("waiting"), KeySchema: keySchema("waiting", "state_entered_ms"),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}, ProvisionedThroughput: throughput},
			{IndexName: aws.String("by_parent"), KeySchema: keySchema("parent", "pk"),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}, ProvisionedThroughput: throughput},
			{IndexName: aws.String("children"), KeySchema: keySchema("parent", "pk"),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}, ProvisionedThroughput: throughput},
			{IndexName: aws.String("extra"), KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("x"), KeyType: types.KeyTypeHash}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}, ProvisionedThroughput: throughput},
		},
		BillingMode:           types.BillingModeProvisioned,
		ProvisionedThroughput: throughput,
	}); err != nil {
		t.Fatal(err)
	}
	before := shapeOf(t, api, name)

	got, err := Provision(t.Context(), api, s)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Table: name, Results: []Result{
		{Aspect: "table", Action: Unchanged, Want: name, Got: name},
		{Aspect: "keys", Action: Unchanged, Want: "pk S HASH, sk S RANGE", Got: "pk S HASH, sk S RANGE"},
		{Aspect: "billing", Action: Drift, Want: "PAY_PER_REQUEST", Got: "PROVISIONED"},
		{Aspect: "index waiting_keys", Action: Drift, Want: "waiting S HASH, wait_since_ms N RANGE, projection KEYS_ONLY", Got: "absent"},
		{Aspect: "index children", Action: Drift, Want: "parent S HASH, pk S RANGE, projection INCLUDE id,kind,state",
			Got: "parent S HASH, pk S RANGE, projection ALL"},
		{Aspect: "index by_parent", Action: Drift, Want: "absent", Got: "parent S HASH, pk S RANGE, projection ALL"},
		{Aspect: "index extra", Action: Drift, Want: "absent", Got: "x S HASH, projection KEYS_ONLY"},
		{Aspect: "index waiting", Action: Drift, Want: "absent", Got: "waiting S HASH, state_entered_ms N RANGE, projection ALL"},
		{Aspect: "ttl", Action: Drift, Want: "expires_at ENABLED", Got: "DISABLED"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("report =\n %+v\nwant\n %+v", got, want)
	}

	after := shapeOf(t, api, name)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("Provision changed the table:\n before %+v\n after %+v", before, after)
	}
}

// tableShape is what Provision could change about a table.
type tableShape struct {
	Billing string
	Indexes []string
	TTL     types.TimeToLiveStatus
}

func shapeOf(tb testing.TB, api *dynamodb.Client, name string) tableShape {
	tb.Helper()
	d, err := api.DescribeTable(tb.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		tb.Fatal(err)
	}
	ttl, err := api.DescribeTimeToLive(tb.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		tb.Fatal(err)
	}
	shape := tableShape{Billing: "PROVISIONED", TTL: ttl.TimeToLiveDescription.TimeToLiveStatus}
	if d.Table.BillingModeSummary != nil {
		shape.Billing = string(d.Table.BillingModeSummary.BillingMode)
	}
	for _, ix := range d.Table.GlobalSecondaryIndexes {
		shape.Indexes = append(shape.Indexes, aws.ToString(ix.IndexName))
	}
	return shape
}
