package retry_test

import (
	"fmt"

	"github.com/tendlc/tendlc/retry"
)

// The default policy table, as operators see it.
func ExampleDefaultPolicies() {
	fmt.Print(retry.DefaultPolicies())
	// Output:
	// EVENT                         ATTEMPTS  BASE  CAP     DEFERRALS  DEFER BASE  DEFER CAP
	// (default)                     8         2s    2m0s    30         10s         5m0s
	// (client 4xx)                  8         30s   15m0s   0          0s          0s
	// (newer flow)                  1         0s    0s      1440       10s         10s
	// campaign.carrier_approved     8         2s    2m0s    72         1m0s        1h0m0s
	// campaign.carrier_rejected     8         2s    2m0s    72         1m0s        1h0m0s
	// campaign.carrier_review       8         2s    2m0s    72         1m0s        1h0m0s
	// campaign.carrier_suspended    8         2s    2m0s    72         1m0s        1h0m0s
	// campaign.carrier_unsuspended  8         2s    2m0s    72         1m0s        1h0m0s
	// campaign.submit               8         2s    2m0s    100        1m0s        30m0s
	// carrier.submit_campaign       12        5s    1h0m0s  30         10s         5m0s
	// number.deregister             8         2s    2m0s    72         1m0s        1h0m0s
	// numbers.deregister            12        5s    1h0m0s  30         10s         5m0s
	// numbers.register              12        5s    1h0m0s  30         10s         5m0s
	// registry.delete_brand         12        5s    1h0m0s  30         10s         5m0s
	// registry.delete_campaign      12        5s    1h0m0s  30         10s         5m0s
	// registry.revet_brand          12        5s    1h0m0s  30         10s         5m0s
	// registry.submit_brand         12        5s    1h0m0s  30         10s         5m0s
	// registry.submit_campaign      12        5s    1h0m0s  30         10s         5m0s
	// registry.submit_evidence      12        5s    1h0m0s  30         10s         5m0s
}
