package cfn

import (
	"fmt"

	"github.com/tendlc/tendlc/infra/resources"
)

// table declares the DynamoDB table with its indexes and TTL, and returns its
// logical id. It is retained when the stack is deleted or the table replaced:
// it holds every registration's state and audit trail.
func (b *builder) table() string {
	t := b.set.Table
	id := logicalID(t.Logical, "Table")
	name := b.set.TableName()
	b.name("table", name, tableNameRE)

	var defs []any
	types := map[string]string{}
	define := func(attr, typ string) {
		switch prev, seen := types[attr]; {
		case attr == "":
			b.fail("table %s: a key attribute has no name", t.Logical)
		case typ != "S" && typ != "N" && typ != "B":
			b.fail("table %s: attribute %s has type %q (want S, N or B)", t.Logical, attr, typ)
		case !seen:
			types[attr] = typ
			defs = append(defs, object{"AttributeName": attr, "AttributeType": typ})
		case prev != typ:
			b.fail("table %s: attribute %s is both %s and %s", t.Logical, attr, prev, typ)
		}
	}
	keySchema := func(hash, rng string) []any {
		return []any{
			object{"AttributeName": hash, "KeyType": "HASH"},
			object{"AttributeName": rng, "KeyType": "RANGE"},
		}
	}

	define(t.Hash, "S")
	define(t.Range, "S")
	var indexes []any
	for _, ix := range t.Indexes {
		define(ix.Hash, "S")
		define(ix.Range, ix.RangeType)
		projection := object{"ProjectionType": ix.Projection}
		switch {
		case ix.Projection == resources.ProjectInclude && len(ix.NonKey) > 0:
			projection["NonKeyAttributes"] = ix.NonKey
		case ix.Projection == resources.ProjectInclude:
			b.fail("index %s: an INCLUDE projection names no attribute", ix.Name)
		case ix.Projection != resources.ProjectKeysOnly && ix.Projection != resources.ProjectAll:
			b.fail("index %s: projection %q (want KEYS_ONLY, INCLUDE or ALL)", ix.Name, ix.Projection)
		case len(ix.NonKey) > 0:
			b.fail("index %s: a %s projection includes no attributes", ix.Name, ix.Projection)
		}
		indexes = append(indexes, object{
			"IndexName":  ix.Name,
			"KeySchema":  keySchema(ix.Hash, ix.Range),
			"Projection": projection,
		})
	}
	props := object{
		"TableName":                        name,
		"BillingMode":                      "PAY_PER_REQUEST",
		"AttributeDefinitions":             defs,
		"KeySchema":                        keySchema(t.Hash, t.Range),
		"PointInTimeRecoverySpecification": object{"PointInTimeRecoveryEnabled": true},
	}
	if len(indexes) > 0 {
		props["GlobalSecondaryIndexes"] = indexes
	}
	if t.TTLAttribute != "" {
		props["TimeToLiveSpecification"] = object{"AttributeName": t.TTLAttribute, "Enabled": true}
	}
	r := resource("AWS::DynamoDB::Table", props)
	r["DeletionPolicy"] = "Retain"
	r["UpdateReplacePolicy"] = "Retain"
	b.resource(id, r)
	b.output(id+"Name", fmt.Sprintf("name of the DynamoDB table %s", name), ref(id))
	return id
}
