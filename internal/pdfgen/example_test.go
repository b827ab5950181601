package pdfgen_test

import (
	"bytes"
	"fmt"

	"caseviewer/internal/pdfgen"
)

func ExampleReport() {
	doc := pdfgen.Document{
		Info: pdfgen.Info{Title: "Witness Statement", Author: "Metro PD"},
		Pages: pdfgen.Report{
			Agency: "Metro Police Department",
			Title:  "Witness Statement",
			Fields: []string{"Case number: 2026-0412", "Witness: J. Doe"},
			Footer: "CONFIDENTIAL - LAW ENFORCEMENT SENSITIVE",
			Section: []pdfgen.Section{
				{Heading: "Statement", Paragraphs: []string{"I heard glass break at about 23:10."}},
			},
		}.Pages(),
	}
	doc.Pages = append(doc.Pages, pdfgen.PhotoPage(1, 320, 240, "Scene photo 1"))
	pdf, err := doc.Bytes()
	if err != nil {
		panic(err)
	}
	fmt.Println(bytes.HasPrefix(pdf, []byte("%PDF-1.7")), len(doc.Pages))
	// Output: true 2
}

func ExampleBuild() {
	// One word at a known place: 72 points from the left, 700 up.
	pdf, err := pdfgen.Build([]pdfgen.Page{{
		Texts: []pdfgen.Text{{X: 72, Y: 700, Size: 12, Content: "Exhibit"}},
	}})
	fmt.Println(err, bytes.HasSuffix(pdf, []byte("%%EOF\n")))
	// Output: <nil> true
}
