// Package web embeds the built dashboard (web/dist, produced by `make web`).
package web

import "embed"

// Dist is the built SPA. Before the first `make web` it holds only .gitkeep,
// and the API serves a notice instead of the dashboard.
//
//go:embed all:dist
var Dist embed.FS
