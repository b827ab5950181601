package keystore

import (
	"fmt"
	"sort"
	"strings"
)

// indexHeader starts the text of the index item. The index is the header
// line followed by one name per line, sorted, unique, with no trailing
// newline; an empty index is never stored (the item is deleted instead).
const indexHeader = "cvidx1\n"

// formatIndex encodes sorted, unique, valid names.
func formatIndex(names []string) string {
	return indexHeader + strings.Join(names, "\n")
}

// parseIndex decodes an index item. It accepts only the canonical form
// formatIndex writes.
func parseIndex(v string) ([]string, error) {
	if len(v) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: index of %d bytes", ErrCorrupt, len(v))
	}
	body, ok := strings.CutPrefix(v, indexHeader)
	if !ok {
		return nil, fmt.Errorf("%w: index header missing", ErrCorrupt)
	}
	if body == "" {
		return nil, fmt.Errorf("%w: empty index stored", ErrCorrupt)
	}
	names := strings.Split(body, "\n")
	if len(names) > MaxItems {
		return nil, fmt.Errorf("%w: index of %d names", ErrCorrupt, len(names))
	}
	for i, n := range names {
		if !ValidName(n) {
			return nil, fmt.Errorf("%w: index name %d invalid", ErrCorrupt, i)
		}
		if i > 0 && names[i-1] >= n {
			return nil, fmt.Errorf("%w: index not sorted or not unique", ErrCorrupt)
		}
	}
	return names, nil
}

// indexFind returns where name is or would be in sorted names.
func indexFind(names []string, name string) (int, bool) {
	i := sort.SearchStrings(names, name)
	return i, i < len(names) && names[i] == name
}
