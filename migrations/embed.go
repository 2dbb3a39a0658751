// Package migrations holds the application's SQL migrations (golang-migrate
// files) embedded in the binaries. River's own tables come from rivermigrate.
package migrations

import "embed"

// FS is every migration file.
//
//go:embed *.sql
var FS embed.FS
