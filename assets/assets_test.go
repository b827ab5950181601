package assets

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestIconIsSquarePNG(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(Icon))
	if err != nil {
		t.Fatalf("icon is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 256 || b.Dy() != 256 {
		t.Fatalf("icon is %dx%d, want 256x256", b.Dx(), b.Dy())
	}
	// Transparent corners, opaque centre: a real drawing, not a blank square.
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner alpha = %d, want transparent", a)
	}
	if _, _, _, a := img.At(128, 128).RGBA(); a != 0xffff {
		t.Errorf("centre alpha = %d, want opaque", a)
	}
}

// TestBannerSaysWhatAC8Requires checks the four statements CJIS AC-8 asks of
// a system-use notice.
func TestBannerSaysWhatAC8Requires(t *testing.T) {
	b := strings.ToLower(Banner())
	for _, want := range []string{"restricted", "monitored, recorded and audited", "criminal and civil penalties", "consent"} {
		if !strings.Contains(b, want) {
			t.Errorf("banner lacks %q", want)
		}
	}
	if BannerTitle() == "" || strings.Contains(BannerBody(), BannerTitle()) {
		t.Errorf("title %q / body split is wrong", BannerTitle())
	}
}
