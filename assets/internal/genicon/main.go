// Command genicon draws the Case Viewer application icon (a dark blue
// rounded square holding a folder-shaped case file with a gold badge) and
// writes it to assets/icon.png. Run it from the module root.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 256

func main() {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	navy := color.RGBA{0x1b, 0x2a, 0x4a, 0xff}
	paper := color.RGBA{0xf2, 0xee, 0xe3, 0xff}
	tab := color.RGBA{0xd8, 0xcf, 0xb8, 0xff}
	line := color.RGBA{0x8a, 0x93, 0xa6, 0xff}
	gold := color.RGBA{0xe0, 0xb0, 0x3a, 0xff}
	goldDark := color.RGBA{0x9a, 0x72, 0x18, 0xff}

	// Rounded square background.
	fill(img, func(x, y float64) bool { return roundedRect(x, y, 8, 8, 248, 248, 44) }, navy)
	// Folder tab and body.
	fill(img, func(x, y float64) bool { return roundedRect(x, y, 44, 58, 124, 90, 10) }, tab)
	fill(img, func(x, y float64) bool { return roundedRect(x, y, 44, 76, 212, 206, 12) }, paper)
	// Text lines on the case file.
	for i := 0; i < 5; i++ {
		y0 := 100 + float64(i)*18
		x1 := 150.0
		if i == 4 {
			x1 = 120
		}
		fill(img, func(x, y float64) bool { return roundedRect(x, y, 62, y0, x1, y0+7, 3) }, line)
	}
	// Badge: a gold star in a circle, bottom right.
	cx, cy := 176.0, 176.0
	fill(img, func(x, y float64) bool { return math.Hypot(x-cx, y-cy) <= 50 }, goldDark)
	fill(img, func(x, y float64) bool { return math.Hypot(x-cx, y-cy) <= 44 }, gold)
	fill(img, func(x, y float64) bool { return star(x-cx, y-cy, 34, 14) }, navy)

	f, err := os.Create("assets/icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// fill paints every pixel whose samples fall inside; 4x4 supersampling
// gives smooth edges.
func fill(img *image.RGBA, inside func(x, y float64) bool, c color.RGBA) {
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			n := 0
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					if inside(float64(px)+(float64(sx)+0.5)/4, float64(py)+(float64(sy)+0.5)/4) {
						n++
					}
				}
			}
			if n == 0 {
				continue
			}
			a := float64(n) / 16
			o := img.RGBAAt(px, py)
			img.SetRGBA(px, py, color.RGBA{
				R: mix(o.R, c.R, a), G: mix(o.G, c.G, a), B: mix(o.B, c.B, a),
				A: uint8(math.Min(255, float64(o.A)+a*255)),
			})
		}
	}
}

func mix(a, b uint8, t float64) uint8 { return uint8(float64(a)*(1-t) + float64(b)*t + 0.5) }

func roundedRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return math.Hypot(x-cx, y-cy) <= r
}

// star reports whether (x, y) lies inside a five-pointed star of outer
// radius ro and inner radius ri centred on the origin, one point up.
func star(x, y, ro, ri float64) bool {
	var pts [10][2]float64
	for i := range pts {
		r := ro
		if i%2 == 1 {
			r = ri
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		pts[i] = [2]float64{r * math.Cos(a), r * math.Sin(a)}
	}
	in := false
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		xi, yi, xj, yj := pts[i][0], pts[i][1], pts[j][0], pts[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}
