package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// RequestsScreen shows the officer's own requests and, for supervisors, the
// queue of their unit's pending requests.
type RequestsScreen struct {
	Tabs  *container.AppTabs
	Mine  *widget.List
	Queue *widget.List
	// QueueTab is the queue's tab, titled with the pending count.
	QueueTab *container.TabItem
	Status   *widget.Label
	// QueueStatus, above the queue, says what was last decided here and
	// when nothing is waiting.
	QueueStatus *widget.Label
	decided     string

	mine, queue []Request

	// The decision dialog, while shown.
	ApproveDuration *widget.Select
	ApproveScope    *widget.RadioGroup
	ConfirmApprove  *widget.Button
	DenyReason      *SafeEntry
	ConfirmDeny     *widget.Button
}

func stateText(r Request) string {
	switch r.State {
	case StateApproved:
		s := "Approved by " + r.DecidedBy
		if !r.Expires.IsZero() {
			s += ", until " + when(r.Expires)
		}
		if r.Scope != "" {
			s += " (" + string(r.Scope) + ")"
		}
		return s
	case StateDenied:
		s := "Denied by " + r.DecidedBy
		if r.DecisionReason != "" {
			s += ": " + r.DecisionReason
		}
		return s
	case StateExpired:
		return "Expired"
	case StateRevoked:
		return "Revoked"
	}
	return "Pending"
}

func (u *UI) showRequests() {
	if u.officer == nil {
		return
	}
	s := &RequestsScreen{Status: widget.NewLabel("")}
	s.Status.Hide()
	s.Mine = widget.NewList(
		func() int { return len(s.mine) },
		func() fyne.CanvasObject {
			top := widget.NewLabel("case")
			top.TextStyle.Bold = true
			detail := widget.NewLabel("detail")
			detail.Wrapping = fyne.TextWrapWord
			return container.NewVBox(top, detail)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(s.mine) {
				return
			}
			r := s.mine[id]
			v := o.(*fyne.Container)
			v.Objects[0].(*widget.Label).SetText(fmt.Sprintf("Case %s · %s", r.CaseNumber, stateText(r)))
			v.Objects[1].(*widget.Label).SetText(fmt.Sprintf("Asked %s for %s: %s", when(r.Created), describeDuration(r.Duration), r.Reason))
			s.Mine.SetItemHeight(id, v.MinSize().Height)
		},
	)
	mineTab := container.NewTabItemWithIcon("My requests", theme.MailSendIcon(), container.NewBorder(s.Status, nil, nil, nil, s.Mine))
	s.Tabs = container.NewAppTabs(mineTab)
	if u.officer.Supervisor {
		s.Queue = widget.NewList(
			func() int { return len(s.queue) },
			func() fyne.CanvasObject {
				top := widget.NewLabel("who")
				top.TextStyle.Bold = true
				detail := widget.NewLabel("detail")
				detail.Wrapping = fyne.TextWrapWord
				approve := widget.NewButtonWithIcon("Approve…", theme.ConfirmIcon(), nil)
				deny := widget.NewButtonWithIcon("Deny…", theme.CancelIcon(), nil)
				why := widget.NewLabel("")
				why.Importance = widget.LowImportance
				return container.NewVBox(top, detail, container.NewHBox(approve, deny, why))
			},
			func(id widget.ListItemID, o fyne.CanvasObject) {
				if id >= len(s.queue) {
					return
				}
				r := s.queue[id]
				v := o.(*fyne.Container)
				v.Objects[0].(*widget.Label).SetText(fmt.Sprintf("%s (%s) asks for case %s", r.RequesterN, r.Requester, r.CaseNumber))
				v.Objects[1].(*widget.Label).SetText(fmt.Sprintf("For %s, asked %s: %s", describeDuration(r.Duration), when(r.Created), r.Reason))
				row := v.Objects[2].(*fyne.Container)
				approve, deny, why := row.Objects[0].(*widget.Button), row.Objects[1].(*widget.Button), row.Objects[2].(*widget.Label)
				approve.OnTapped = func() { u.touch(); u.showApprove(s, r) }
				deny.OnTapped = func() { u.touch(); u.showDeny(s, r) }
				if u.officer != nil && r.Requester == u.officer.ID {
					approve.Disable()
					why.SetText("Your own request: another supervisor must decide it.")
				} else {
					approve.Enable()
					why.SetText("")
				}
				s.Queue.SetItemHeight(id, v.MinSize().Height)
			},
		)
		s.QueueStatus = widget.NewLabel("")
		s.QueueStatus.Wrapping = fyne.TextWrapWord
		s.QueueStatus.Hide()
		s.QueueTab = container.NewTabItemWithIcon("Unit queue", theme.ListIcon(), container.NewBorder(s.QueueStatus, nil, nil, nil, s.Queue))
		s.Tabs.Append(s.QueueTab)
	}
	u.Requests = s
	u.setContent("requests", "Requests", u.withNav(s.Tabs))
	u.loadRequests(s)
}

func (u *UI) loadRequests(s *RequestsScreen) {
	supervisor := u.officer != nil && u.officer.Supervisor
	u.run(func(ctx context.Context) func() {
		mine, err := u.backend.MyRequests(ctx)
		var queue []Request
		var qerr error
		if supervisor {
			queue, qerr = u.backend.PendingRequests(ctx)
		}
		return func() {
			if err != nil {
				u.showError("Requests", err)
				return
			}
			s.mine = mine
			s.Mine.Refresh()
			if len(mine) == 0 {
				s.Status.SetText("You have made no access requests.")
				s.Status.Show()
			} else {
				s.Status.Hide()
			}
			if supervisor {
				if qerr != nil {
					u.showError("Unit queue", qerr)
					return
				}
				if s.queue == nil && len(queue) > 0 {
					s.Tabs.Select(s.QueueTab) // what a supervisor comes for
				}
				s.queue = queue
				s.QueueTab.Text = fmt.Sprintf("Unit queue (%d)", len(queue))
				s.showQueueStatus()
				s.Tabs.Refresh()
				s.Queue.Refresh()
				if u.nav != nil {
					u.refreshBadge(u.nav)
				}
			}
		}
	})
}

// showQueueStatus shows the last decision made here and, when the queue is
// empty, that nothing is waiting.
func (s *RequestsScreen) showQueueStatus() {
	var lines []string
	if s.decided != "" {
		lines = append(lines, s.decided)
	}
	if len(s.queue) == 0 {
		lines = append(lines, "No access requests are waiting for a decision in your unit.")
	}
	if len(lines) == 0 {
		s.QueueStatus.Hide()
		return
	}
	s.QueueStatus.SetText(strings.Join(lines, "\n"))
	s.QueueStatus.Show()
}

func (u *UI) showApprove(s *RequestsScreen, r Request) {
	if u.officer != nil && r.Requester == u.officer.ID {
		u.showError("Approve", ErrSelfApproval)
		return
	}
	s.ApproveDuration = widget.NewSelect(durationLabels(), nil)
	s.ApproveDuration.SetSelected(describeDuration(r.Duration))
	if s.ApproveDuration.Selected == "" || durationOf(s.ApproveDuration.Selected) == 0 {
		s.ApproveDuration.SetSelected(requestDurations[1].Label)
	}
	s.ApproveScope = widget.NewRadioGroup([]string{"View", "View and annotate"}, nil)
	s.ApproveScope.SetSelected("View")
	var d dialog.Dialog
	s.ConfirmApprove = widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), func() {
		dur := durationOf(s.ApproveDuration.Selected)
		scope := ScopeView
		if s.ApproveScope.Selected == "View and annotate" {
			scope = ScopeAnnotate
		}
		d.Hide()
		u.run(func(ctx context.Context) func() {
			err := u.backend.Approve(ctx, r.ID, dur, scope)
			return func() {
				if err != nil {
					u.showError("Approve", err)
				} else {
					what := "open"
					if scope == ScopeAnnotate {
						what = "open and annotate"
					}
					s.decided = fmt.Sprintf("Approved: %s (%s) may %s case %s for %s.", r.RequesterN, r.Requester, what, r.CaseNumber, describeDuration(dur))
					s.showQueueStatus() // now, even if the reload below fails
				}
				u.loadRequests(s)
			}
		})
	})
	s.ConfirmApprove.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	info := widget.NewLabel(fmt.Sprintf("%s (%s) asks for case %s: %s", r.RequesterN, r.Requester, r.CaseNumber, r.Reason))
	info.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem("For", s.ApproveDuration), widget.NewFormItem("Scope", s.ApproveScope))
	d = u.modal("Approve access", container.NewVBox(info, form), cancel, s.ConfirmApprove)
}

func (u *UI) showDeny(s *RequestsScreen, r Request) {
	s.DenyReason = NewSafeMultiLineEntry()
	s.DenyReason.SetPlaceHolder("Why (the requester sees this)")
	s.DenyReason.SetMinRowsVisible(3)
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	var d dialog.Dialog
	s.ConfirmDeny = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), func() {
		reason := strings.TrimSpace(s.DenyReason.Text)
		if reason == "" {
			msg.SetText("Give the requester a reason.")
			return
		}
		d.Hide()
		u.run(func(ctx context.Context) func() {
			err := u.backend.Deny(ctx, r.ID, reason)
			return func() {
				if err != nil {
					u.showError("Deny", err)
				} else {
					s.decided = fmt.Sprintf("Denied: %s (%s) was told why they may not open case %s.", r.RequesterN, r.Requester, r.CaseNumber)
					s.showQueueStatus()
				}
				u.loadRequests(s)
			}
		})
	})
	s.ConfirmDeny.Importance = widget.DangerImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	info := widget.NewLabel(fmt.Sprintf("%s (%s) asks for case %s: %s", r.RequesterN, r.Requester, r.CaseNumber, r.Reason))
	info.Wrapping = fyne.TextWrapWord
	d = u.modal("Deny access", container.NewVBox(info, s.DenyReason, msg), cancel, s.ConfirmDeny)
	u.Window.Canvas().Focus(s.DenyReason)
}

// AuditScreen shows a case's audit trail to a supervisor.
type AuditScreen struct {
	Officer  *SafeEntry
	Filter   *widget.Button
	Verified *widget.Label
	Table    *widget.List
	Back     *widget.Button

	records []AuditRecord
	c       CaseSummary
}

func (u *UI) showAudit(c CaseSummary) {
	if u.officer == nil {
		return
	}
	s := &AuditScreen{Officer: NewSafeEntry(), Verified: widget.NewLabel(""), c: c}
	s.Officer.SetPlaceHolder("Officer ID (empty: everyone)")
	s.Verified.Wrapping = fyne.TextWrapWord
	s.Verified.TextStyle.Bold = true
	s.Filter = widget.NewButtonWithIcon("Filter", theme.SearchIcon(), func() { u.touch(); u.loadAudit(s) })
	s.Officer.OnSubmitted = func(string) { s.Filter.OnTapped() }
	s.Back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() {
		u.touch()
		if c.Access == AccessNone {
			u.showCases()
		} else {
			u.showCase(c.ID)
		}
	})
	s.Table = widget.NewList(
		func() int { return len(s.records) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("00 Jan 0000 00:00:00.00")
			t.TextStyle.Monospace = true
			rest := widget.NewLabel("record")
			rest.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, t, nil, rest)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(s.records) {
				return
			}
			r := s.records[id]
			b := o.(*fyne.Container)
			b.Objects[1].(*widget.Label).SetText(r.Time.Local().Format("02 Jan 2006 15:04:05.00"))
			mark := "✓"
			if !r.Verified {
				mark = "unproven"
			}
			line := fmt.Sprintf("%s · %s %s · %s", r.Officer, r.Action, r.Object, r.Outcome)
			if r.SessionCode != "" {
				line += " · session " + r.SessionCode
			}
			b.Objects[0].(*widget.Label).SetText(line + " · " + mark)
		},
	)
	title := widget.NewLabel("Audit trail of case " + c.Number)
	title.TextStyle.Bold = true
	header := widget.NewLabel("Time (local) · officer · action, object · outcome · session · ✓ proven in the signed log")
	header.Importance = widget.LowImportance
	top := container.NewVBox(container.NewHBox(s.Back, title),
		container.NewBorder(nil, nil, nil, s.Filter, s.Officer), s.Verified, widget.NewSeparator(), header)
	u.Audit = s
	u.setContent("audit", "Audit trail", u.withNav(container.NewBorder(top, nil, nil, nil, s.Table)))
	u.loadAudit(s)
}

func (u *UI) loadAudit(s *AuditScreen) {
	officer := strings.TrimSpace(s.Officer.Text)
	u.run(func(ctx context.Context) func() {
		tr, err := u.backend.AuditTrail(ctx, s.c.ID, officer)
		return func() {
			if err != nil {
				s.Verified.SetText("The audit trail could not be loaded.")
				s.Verified.Importance = widget.DangerImportance
				s.Verified.Refresh()
				u.showError("Audit trail", err)
				return
			}
			s.records = tr.Records
			if tr.Verified {
				s.Verified.SetText(fmt.Sprintf("Verified: these %d records match the station's signed checkpoint.", len(tr.Records)))
				s.Verified.Importance = widget.SuccessImportance
			} else {
				proven := 0
				for _, r := range tr.Records {
					if r.Verified {
						proven++
					}
				}
				msg := fmt.Sprintf("NOT fully verified against the station's signed checkpoint: %d of %d records proven.", proven, len(tr.Records))
				if tr.Detail != "" {
					msg += " The check says: " + tr.Detail + "."
				}
				msg += " Records marked unproven may be newer than the last checkpoint (look again in a minute); if they stay unproven, tell an administrator."
				s.Verified.SetText(msg)
				s.Verified.Importance = widget.DangerImportance
			}
			s.Verified.Refresh()
			s.Table.Refresh()
		}
	})
}
