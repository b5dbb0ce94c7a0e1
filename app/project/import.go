package project

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxImportBytes bounds a CSV of labels the page reads (the person picks the file, but
// it may be anything).
const MaxImportBytes = 16 << 20

// Row is one label from a CSV: a file and its label and state.
type Row struct {
	File, Label string
	State       State
}

// ReadCSV reads a CSV of labels as WriteCSV writes it (file,label,score,state with the
// header), or any CSV whose header names file and label columns (state optional:
// accepted). Rows without a file are an error; a row with an empty label and no state
// is skipped; a state other than accepted, corrected, skipped or suggested is an error.
func ReadCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(&limited{r: r, left: MaxImportBytes})
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("labels CSV: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	fi, okF := col["file"]
	li, okL := col["label"]
	if !okF || !okL {
		return nil, errors.New("labels CSV: the first row must name the columns file and label (and state)")
	}
	si, okS := col["state"]
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("labels CSV: %w", err)
		}
		get := func(i int) string {
			if i < len(rec) {
				return rec[i]
			}
			return ""
		}
		row := Row{File: get(fi), Label: strings.TrimSpace(get(li)), State: Accepted}
		if okS && strings.TrimSpace(get(si)) != "" {
			row.State = State(strings.ToLower(strings.TrimSpace(get(si))))
		}
		switch row.State {
		case Accepted, Corrected, Skipped, Suggested:
		case "error":
			continue // an image that did not decode: nothing to resume
		default:
			return nil, fmt.Errorf("labels CSV line %d: unknown state %q", line, row.State)
		}
		if row.File == "" {
			return nil, fmt.Errorf("labels CSV line %d: no file", line)
		}
		if row.Label == "" && row.State != Skipped && row.State != Suggested {
			continue
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// ApplyRows sets the decided rows' labels on the images with those files (adding new
// labels to the list), as one undoable action; suggested rows change nothing. A scored
// image's state follows its label: accepted when it is the model's top-1, else
// corrected (a CSV without a state column says neither). It returns
// how many images it set and the files it did not find.
func (p *Project) ApplyRows(rows []Row) (set int, missing []string) {
	var idx []int
	var apply []Row
	for _, r := range rows {
		if r.State == Suggested {
			continue
		}
		i := p.FindFile(r.File)
		if i < 0 {
			missing = append(missing, r.File)
			continue
		}
		idx = append(idx, i)
		apply = append(apply, r)
	}
	if len(idx) == 0 {
		return 0, missing
	}
	p.remember(idx...)
	for k, i := range idx {
		im, r := p.Images[i], apply[k]
		if r.State == Skipped {
			im.Label, im.State = "", Skipped
			continue
		}
		p.addLabel(r.Label)
		im.Label, im.State = r.Label, r.State
		if len(im.Top) > 0 { // as the keyboard would have it: accepted is the model's top-1
			im.State = Corrected
			if im.Top[0].Label == r.Label {
				im.State = Accepted
			}
		}
	}
	return len(idx), missing
}

// limited fails a read past its limit, where io.LimitReader would end the file quietly.
type limited struct {
	r    io.Reader
	left int64
}

func (l *limited) Read(b []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("larger than %d MB", MaxImportBytes>>20)
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
}
