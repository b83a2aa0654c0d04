package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// opCensus is the operation a Meter counts the pages of a census under.
const opCensus = "Census"

// attrKind names the kind attribute of record items (recordItem.Kind).
const attrKind = "kind"

// Census is how many records there are of each kind in each state, and what
// counting them cost.
type Census struct {
	Records map[statemachine.Kind]map[statemachine.State]int64
	// Examined counts the items DynamoDB read (ScannedCount, summed over the
	// pages): every item of the table, audit items included.
	Examined int64
	// ReadUnits is the read capacity the census consumed.
	ReadUnits float64
}

// censusItem is the projection of a record item a census reads.
type censusItem struct {
	Kind  statemachine.Kind  `dynamodbav:"kind"`
	State statemachine.State `dynamodbav:"state"`
}

// Census counts the records of every kind and state with one paginated,
// eventually consistent Scan that projects kind and state and filters on
// record items (sort key "record" with a kind: leases and rate limits have
// none).
//
// The projection and the filter shrink what crosses the network, not the
// bill: DynamoDB reads, and charges for, every item of the table, audit
// items included, at half a read unit per 4 KB read. A table of 1 million
// records of about 1 KB, each with 10 audit entries of about 500 bytes, holds
// about 6 GB: some 730,000 read units per census, 210 million a day at one
// census every 5 minutes. Run it rarely, from one replica.
//
// Errors are the SDK's, wrapped, or a decode error of an item. Every page is
// metered as "Census".
func (s *Store) Census(ctx context.Context) (Census, error) {
	in := &dynamodb.ScanInput{
		TableName:                aws.String(s.table),
		ProjectionExpression:     aws.String("#k, #s"),
		FilterExpression:         aws.String("#sk = :record AND attribute_exists(#k)"),
		ExpressionAttributeNames: map[string]string{"#k": attrKind, "#s": attrState, "#sk": resources.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":record": &types.AttributeValueMemberS{Value: skRecord},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	c := Census{Records: map[statemachine.Kind]map[statemachine.State]int64{}}
	var cost Meter // this census's share, for c.ReadUnits
	for p := dynamodb.NewScanPaginator(s.api, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			s.meter.add(opCensus, reads, nil)
			return Census{}, fmt.Errorf("census: %w", err)
		}
		s.meter.add(opCensus, reads, one(out.ConsumedCapacity))
		cost.add(opCensus, reads, one(out.ConsumedCapacity))
		c.Examined += int64(out.ScannedCount)
		var items []censusItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			return Census{}, fmt.Errorf("census: %w", err)
		}
		for _, it := range items {
			if c.Records[it.Kind] == nil {
				c.Records[it.Kind] = map[statemachine.State]int64{}
			}
			c.Records[it.Kind][it.State]++
		}
	}
	c.ReadUnits = cost.Snapshot().Total.ReadUnits
	return c, nil
}
