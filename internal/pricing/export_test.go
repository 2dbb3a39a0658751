package pricing

// ToMicros exposes the price conversion to the external tests.
var ToMicros = toMicros
