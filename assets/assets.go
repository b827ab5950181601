// Package assets holds the files the desktop app embeds: its icon and the
// CJIS system-use banner (AC-8) shown before every login.
//
// The icon is drawn by a small Go program (assets/internal/genicon); run
// `go run ./assets/internal/genicon` from the module root to redraw it.
package assets

import (
	_ "embed"
	"strings"
)

// Icon is the application icon, a 256x256 PNG.
//
//go:embed icon.png
var Icon []byte

//go:embed banner.txt
var banner string

// Banner returns the system-use notice that must be acknowledged before
// login, as paragraphs separated by blank lines.
func Banner() string { return strings.TrimSpace(banner) }

// BannerTitle returns the first paragraph of the banner, its heading.
func BannerTitle() string {
	b := Banner()
	if i := strings.Index(b, "\n"); i >= 0 {
		return b[:i]
	}
	return b
}

// BannerBody returns the banner without its heading.
func BannerBody() string {
	b := Banner()
	if i := strings.Index(b, "\n"); i >= 0 {
		return strings.TrimSpace(b[i:])
	}
	return ""
}
