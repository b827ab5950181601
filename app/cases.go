package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// CasesScreen lists the officer's cases and finds others by number.
type CasesScreen struct {
	Search   *SafeEntry
	Find     *widget.Button
	List     *widget.List
	Status   *widget.Label
	Progress *widget.ProgressBarInfinite
	// Result shows a case found by number that the officer cannot open,
	// with RequestAccess.
	Result        *widget.Label
	RequestAccess *widget.Button
	// Audit opens the audit trail of a case found by number, for a
	// supervisor of its unit who is not on its team.
	Audit *widget.Button

	all, shown []CaseSummary
	found      CaseSummary
	resultRow  *fyne.Container

	// The request-access dialog, while shown.
	Reason   *SafeEntry
	Duration *widget.Select
	Send     *widget.Button
}

// requestDurations are the durations an officer may ask for or a
// supervisor may grant.
var requestDurations = []struct {
	Label string
	D     time.Duration
}{
	{"4 hours", 4 * time.Hour},
	{"1 day", 24 * time.Hour},
	{"3 days", 72 * time.Hour},
	{"1 week", 7 * 24 * time.Hour},
}

func durationLabels() []string {
	out := make([]string, len(requestDurations))
	for i, d := range requestDurations {
		out[i] = d.Label
	}
	return out
}

func durationOf(label string) time.Duration {
	for _, d := range requestDurations {
		if d.Label == label {
			return d.D
		}
	}
	return 0
}

// describeDuration says a duration in words ("4 hours", "3 days").
func describeDuration(d time.Duration) string {
	for _, x := range requestDurations {
		if x.D == d {
			return x.Label
		}
	}
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("%.0f hours", d.Hours())
}

// when formats a time for a person, in local time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2 Jan 2006 15:04")
}

func accessText(c CaseSummary) string {
	switch c.Access {
	case AccessTeam:
		return "Case team"
	case AccessGranted:
		s := "Granted until " + when(c.GrantExpires)
		if c.Scope == ScopeAnnotate {
			s += " (annotate)"
		}
		return s
	}
	return "No access"
}

func (u *UI) showCases() {
	if u.officer == nil {
		return
	}
	s := &CasesScreen{
		Search:   NewSafeEntry(),
		Status:   widget.NewLabel(""),
		Progress: widget.NewProgressBarInfinite(),
		Result:   widget.NewLabel(""),
	}
	s.Result.Wrapping = fyne.TextWrapWord
	s.Search.SetPlaceHolder("Case number, e.g. 2024-0117")
	s.Search.OnChanged = func(q string) { u.touch(); s.filter(q) }
	s.Search.OnSubmitted = func(string) { s.Find.OnTapped() }
	s.Find = widget.NewButtonWithIcon("Find case", theme.SearchIcon(), func() { u.touch(); u.lookupCase(s) })
	s.RequestAccess = widget.NewButtonWithIcon("Request access", theme.MailSendIcon(), func() { u.touch(); u.showRequestAccess(s) })
	s.RequestAccess.Importance = widget.HighImportance
	s.RequestAccess.Hide()
	s.Audit = widget.NewButtonWithIcon("Audit trail", theme.HistoryIcon(), func() { u.touch(); u.showAudit(s.found) })
	s.Audit.Hide()
	s.List = widget.NewList(
		func() int { return len(s.shown) },
		func() fyne.CanvasObject {
			num := widget.NewLabel("0000-0000")
			num.TextStyle.Bold = true
			title := widget.NewLabel("title")
			title.Truncation = fyne.TextTruncateEllipsis
			acc := widget.NewLabel("access")
			return container.NewBorder(nil, nil, num, acc, title)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(s.shown) {
				return
			}
			c := s.shown[id]
			b := o.(*fyne.Container)
			b.Objects[0].(*widget.Label).SetText(c.Title)
			b.Objects[1].(*widget.Label).SetText(c.Number)
			b.Objects[2].(*widget.Label).SetText(accessText(c))
		},
	)
	s.List.OnSelected = func(id widget.ListItemID) {
		u.touch()
		if id < len(s.shown) {
			c := s.shown[id]
			s.List.UnselectAll()
			u.showCase(c.ID)
		}
	}
	s.resultRow = container.NewBorder(nil, nil, nil, container.NewHBox(s.Audit, s.RequestAccess), s.Result)
	s.resultRow.Hide()
	top := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabelWithStyle("My cases", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil),
		container.NewBorder(nil, nil, nil, s.Find, s.Search),
		s.Progress, s.Status, s.resultRow, widget.NewSeparator(),
	)
	u.Cases = s
	u.setContent("cases", "Cases", u.withNav(container.NewBorder(top, nil, nil, nil, s.List)))
	u.Window.Canvas().Focus(s.Search)
	u.loadCases(s)
}

func (u *UI) loadCases(s *CasesScreen) {
	s.Progress.Show()
	s.Progress.Start()
	s.Status.SetText("Loading your cases…")
	u.run(func(ctx context.Context) func() {
		cases, err := u.backend.Cases(ctx)
		return func() {
			s.Progress.Stop()
			s.Progress.Hide()
			if err != nil {
				s.Status.SetText("Your cases could not be loaded.")
				u.showError("Cases", err)
				return
			}
			s.all = cases
			s.filter(s.Search.Text)
		}
	})
}

// filter shows the cases whose number or title contains q.
func (s *CasesScreen) filter(q string) {
	s.Status.Show()
	q = strings.ToLower(strings.TrimSpace(q))
	s.shown = s.shown[:0]
	for _, c := range s.all {
		if q == "" || strings.Contains(strings.ToLower(c.Number), q) || strings.Contains(strings.ToLower(c.Title), q) {
			s.shown = append(s.shown, c)
		}
	}
	switch {
	case len(s.all) == 0:
		s.Status.SetText("You have no cases yet. Find a case by its number to request access.")
	case len(s.shown) == 0:
		s.Status.SetText("None of your cases matches. Press Find case to look the number up at the station.")
	default:
		s.Status.SetText(fmt.Sprintf("%d of %d cases", len(s.shown), len(s.all)))
	}
	s.List.Refresh()
}

// showResult shows msg under the search, or hides the row when empty.
func (s *CasesScreen) showResult(msg string) {
	s.Result.SetText(msg)
	if msg == "" {
		s.resultRow.Hide()
	} else {
		s.resultRow.Show()
	}
}

// lookupCase finds a case by number at the station: one the officer may
// open is opened, another is offered for an access request.
func (u *UI) lookupCase(s *CasesScreen) {
	num := strings.TrimSpace(s.Search.Text)
	if num == "" {
		s.Status.SetText("Enter a case number.")
		return
	}
	s.RequestAccess.Hide()
	s.Audit.Hide()
	s.showResult("")
	u.run(func(ctx context.Context) func() {
		c, err := u.backend.LookupCase(ctx, num)
		return func() {
			if err != nil {
				s.showResult("")
				u.showError("Find case", err)
				return
			}
			if c.Access != AccessNone {
				u.showCase(c.ID)
				return
			}
			s.found = c
			s.Status.Hide()
			msg := fmt.Sprintf("Case %s is not one of yours. You can ask a supervisor of its unit for access.", c.Number)
			if o := u.officer; o != nil && o.Supervisor && (c.Unit == "" || c.Unit == o.Unit) {
				msg = fmt.Sprintf("Case %s is not one of yours. As a supervisor of its unit you can read its audit trail, or ask another supervisor for access.", c.Number)
				s.Audit.Show()
			}
			s.showResult(msg)
			s.RequestAccess.Show()
		}
	})
}

// showRequestAccess asks for a reason and a duration and sends the request.
func (u *UI) showRequestAccess(s *CasesScreen) {
	c := s.found
	s.Reason = NewSafeMultiLineEntry()
	s.Reason.SetPlaceHolder("Why you need this case (required)")
	s.Reason.SetMinRowsVisible(3)
	s.Duration = widget.NewSelect(durationLabels(), nil)
	s.Duration.SetSelected(requestDurations[1].Label)
	var d dialog.Dialog
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	s.Send = widget.NewButtonWithIcon("Send request", theme.MailSendIcon(), func() {
		reason := strings.TrimSpace(s.Reason.Text)
		if len(reason) < 5 {
			msg.SetText("Give a reason a supervisor can judge.")
			return
		}
		dur := durationOf(s.Duration.Selected)
		d.Hide()
		u.run(func(ctx context.Context) func() {
			err := u.backend.RequestAccess(ctx, c.ID, reason, dur)
			return func() {
				if err != nil {
					u.showError("Request access", err)
					return
				}
				s.RequestAccess.Hide()
				s.showResult(fmt.Sprintf("Request for case %s sent. You will see the decision under Requests.", c.Number))
			}
		})
	})
	s.Send.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	form := widget.NewForm(widget.NewFormItem("Reason", s.Reason), widget.NewFormItem("For", s.Duration))
	d = u.modal("Request access to case "+c.Number, container.NewVBox(form, msg), cancel, s.Send)
	u.Window.Canvas().Focus(s.Reason)
}

// CaseScreen shows a case's documents.
type CaseScreen struct {
	Header      *widget.Label
	Access      *widget.Label
	Annotations *widget.Label
	Documents   *widget.List
	Audit       *widget.Button
	Back        *widget.Button
	Progress    *widget.ProgressBarInfinite

	Detail CaseDetail
}

func (u *UI) showCase(caseID string) {
	if u.officer == nil {
		return
	}
	s := &CaseScreen{
		Header:      widget.NewLabel(""),
		Access:      widget.NewLabel(""),
		Annotations: widget.NewLabel(""),
		Progress:    widget.NewProgressBarInfinite(),
	}
	s.Header.TextStyle.Bold = true
	s.Header.SizeName = theme.SizeNameSubHeadingText
	s.Back = widget.NewButtonWithIcon("Cases", theme.NavigateBackIcon(), func() { u.touch(); u.showCases() })
	s.Audit = widget.NewButtonWithIcon("Audit trail", theme.HistoryIcon(), func() { u.touch(); u.showAudit(s.Detail.CaseSummary) })
	if !u.officer.Supervisor {
		s.Audit.Hide()
	}
	s.Documents = widget.NewList(
		func() int { return len(s.Detail.Documents) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("title")
			title.TextStyle.Bold = true
			title.Truncation = fyne.TextTruncateEllipsis
			info := widget.NewLabel("info")
			info.Importance = widget.LowImportance
			open := widget.NewButtonWithIcon("Open", theme.DocumentIcon(), nil)
			return container.NewBorder(nil, nil, nil, open, container.NewVBox(title, info))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(s.Detail.Documents) {
				return
			}
			doc := s.Detail.Documents[id]
			b := o.(*fyne.Container)
			v := b.Objects[0].(*fyne.Container)
			v.Objects[0].(*widget.Label).SetText(doc.Title)
			v.Objects[1].(*widget.Label).SetText(fmt.Sprintf("%s · %d pages · added by %s, %s", doc.Type, doc.Pages, doc.AddedBy, when(doc.AddedAt)))
			b.Objects[1].(*widget.Button).OnTapped = func() { u.touch(); u.openDocument(s.Detail, doc) }
		},
	)
	s.Documents.OnSelected = func(id widget.ListItemID) {
		s.Documents.UnselectAll()
		if id < len(s.Detail.Documents) {
			u.touch()
			u.openDocument(s.Detail, s.Detail.Documents[id])
		}
	}
	top := container.NewVBox(
		container.NewHBox(s.Back, s.Header, layout.NewSpacer(), s.Audit),
		container.NewHBox(s.Access, widget.NewSeparator(), s.Annotations),
		s.Progress, widget.NewSeparator(),
	)
	u.Case = s
	u.setContent("case", "Case", u.withNav(container.NewBorder(top, nil, nil, nil, s.Documents)))
	u.run(func(ctx context.Context) func() {
		d, err := u.backend.Case(ctx, caseID)
		return func() {
			s.Progress.Stop()
			s.Progress.Hide()
			if err != nil {
				u.showError("Case", err)
				return
			}
			s.Detail = d
			s.Header.SetText(fmt.Sprintf("Case %s: %s", d.Number, d.Title))
			s.Access.SetText(accessText(d.CaseSummary))
			s.Annotations.SetText(fmt.Sprintf("%d annotations", d.AnnotationCount))
			s.Documents.Refresh()
		}
	})
}
