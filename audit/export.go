package audit

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// CSVHeader is the header row WriteCSV writes.
var CSVHeader = []string{
	"index", "time", "action", "outcome", "officer_id", "device_id", "session_code",
	"client_addr", "station_addr", "station_id", "case_number", "object", "bytes",
	"session_duration_ms", "detail",
}

// WriteCSV writes records as CSV with CSVHeader, times in TimeFormat.
// Cells that a spreadsheet would run as a formula (starting with '=',
// '+', '-', '@', tab or carriage return) are prefixed with a single
// quote, since officers' input ends up in these cells.
func WriteCSV(w io.Writer, records []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range records {
		row := []string{
			strconv.FormatInt(r.Index, 10), r.Time.UTC().Format(TimeFormat),
			r.Action, r.Outcome, r.OfficerID, r.DeviceID, r.SessionCode,
			r.ClientAddr, r.StationAddr, r.StationID, r.CaseNumber, r.Object,
			strconv.FormatInt(r.Bytes, 10), strconv.FormatInt(r.SessionDuration.Milliseconds(), 10), r.Detail,
		}
		for i := 2; i < len(row); i++ {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteJSON writes records as a JSON array, one record a line.
func WriteJSON(w io.Writer, records []Record) error {
	if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	for i, r := range records {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if i < len(records)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]\n")
	return err
}
