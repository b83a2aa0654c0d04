package metrics

import "github.com/prometheus/client_golang/prometheus"

// DynamoDB capacity by operation (a Store method, Lease, Limiter, Census,
// ...), read from the meter at every scrape.
var (
	dynamoRequestsDesc = prometheus.NewDesc(namespace+"_dynamodb_requests_total",
		"DynamoDB requests sent, failed ones included, by operation.", []string{"operation"}, nil)
	dynamoReadUnitsDesc = prometheus.NewDesc(namespace+"_dynamodb_consumed_read_capacity_units_total",
		"DynamoDB read capacity units consumed, by operation.", []string{"operation"}, nil)
	dynamoWriteUnitsDesc = prometheus.NewDesc(namespace+"_dynamodb_consumed_write_capacity_units_total",
		"DynamoDB write capacity units consumed, table and indexes, by operation.", []string{"operation"}, nil)
)

// capacityCollector turns a meter's totals into counters at scrape time.
type capacityCollector struct{ src CapacitySource }

func (c capacityCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dynamoRequestsDesc
	ch <- dynamoReadUnitsDesc
	ch <- dynamoWriteUnitsDesc
}

func (c capacityCollector) Collect(ch chan<- prometheus.Metric) {
	for op, u := range c.src.Snapshot().ByOperation {
		ch <- prometheus.MustNewConstMetric(dynamoRequestsDesc, prometheus.CounterValue, float64(u.Requests), op)
		ch <- prometheus.MustNewConstMetric(dynamoReadUnitsDesc, prometheus.CounterValue, u.ReadUnits, op)
		ch <- prometheus.MustNewConstMetric(dynamoWriteUnitsDesc, prometheus.CounterValue, u.WriteUnits, op)
	}
}
