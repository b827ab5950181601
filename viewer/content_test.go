package viewer

import (
	"bytes"
	"context"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"caseviewer/internal/pdfgen"
)

// TestRendersAnnotationsAndTransparency checks two kinds of page content a
// renderer can silently drop: annotations (a reviewer's stamp here; form
// values and signatures are annotations too) must be drawn, and a page
// with transparency (pdfcpu's VectorApple.pdf, in place) must lie on white
// paper, not on the transparent black PDFium leaves under it.
func TestRendersAnnotationsAndTransparency(t *testing.T) {
	e := engine(t)
	ctx := context.Background()
	stamp := pdfgen.Rect{X0: 100, Y0: 500, X1: 300, Y1: 600}
	pdf, err := pdfgen.Build([]pdfgen.Page{{Width: 612, Height: 792,
		Texts:  []pdfgen.Text{{X: 72, Y: 700, Content: "Page with a stamp"}},
		Stamps: []pdfgen.Box{{Rect: stamp, Fill: color.RGBA{220, 20, 20, 255}}}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Open(ctx, pdf, testWatermark())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	img, err := d.Render(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	px := PageToPixel(Rect(stamp), 792, 1)
	red := 0
	for y := px.Min.Y; y < px.Max.Y; y++ {
		for x := px.Min.X; x < px.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if int(c.R) > int(c.G)+60 && int(c.R) > int(c.B)+60 {
				red++
			}
		}
	}
	if red < px.Dx()*px.Dy()/2 {
		t.Errorf("the stamp annotation is not drawn: %d of %d pixels of its area are red", red, px.Dx()*px.Dy())
	}

	data, err := os.ReadFile(filepath.Join(pdfcpuTestdata(t), "VectorApple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := e.Open(ctx, data, testWatermark())
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	img, err = d2.Render(ctx, 0, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	light := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i+3] != 255 {
			t.Fatalf("pixel %d of a page with transparency is not opaque (alpha %d)", i/4, img.Pix[i+3])
		}
		if img.Pix[i] > 200 && img.Pix[i+1] > 200 && img.Pix[i+2] > 200 {
			light++
		}
	}
	if n := len(img.Pix) / 4; light < n/4 {
		t.Errorf("the page with transparency is not on white paper: %d of %d pixels light", light, n)
	}
}

// TestFlattenOnWhite checks the straight-alpha blend onto white.
func TestFlattenOnWhite(t *testing.T) {
	pix := []uint8{0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 128, 10, 20, 30, 255}
	flattenOnWhite(pix)
	want := []uint8{255, 255, 255, 255, 0, 0, 0, 255, 255, 127, 127, 255, 10, 20, 30, 255}
	if !bytes.Equal(pix, want) {
		t.Errorf("got %v, want %v", pix, want)
	}
}
