package main

import "time"

// day is a production day, the unit a time scale is stated in.
const day = 24 * time.Hour
