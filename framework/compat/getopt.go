// SPDX-License-Identifier: Apache-2.0

package compat

import (
	"fmt"
	"strings"
)

// option is one option of an original command, in the spellings its Python
// optparse accepted, and what it becomes on osr's command line.
type option struct {
	short string   // "f" for -f; "" when there is none
	long  []string // "filename" for --filename
	arg   bool     // takes a value
	// to returns osr's arguments for the option (v is its value, or "" for a
	// switch). It may return nil when osr needs nothing for it.
	to func(v string) []string
	// note, when set, is warned about when the option is given: what osr does
	// instead.
	note string
}

// item is one parsed element of an original command line, in order.
type item struct {
	opt   *option // nil for a positional argument
	value string  // the option's value or the positional argument
	given string  // how the option was spelled ("-f", "--filename")
}

// getopt parses args the way optparse did: short options may be clustered
// (-qV) and take their value attached or as the next argument (-fFILE,
// -f FILE); long options take --name=VALUE or --name VALUE and may be
// abbreviated to any unique prefix; "--" ends the options. Positional
// arguments keep their place among the options.
func getopt(opts []option, args []string) ([]item, error) {
	var out []item
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			for _, p := range args[i+1:] {
				out = append(out, item{value: p})
			}
			return out, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o, err := findLong(opts, name)
			if err != nil {
				return nil, err
			}
			switch {
			case o.arg && !hasVal:
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option --%s requires an argument", name)
				}
				i++
				val = args[i]
			case !o.arg && hasVal:
				return nil, fmt.Errorf("option --%s takes no value", name)
			}
			out = append(out, item{opt: o, value: val, given: "--" + name})
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				o := findShort(opts, a[j:j+1])
				if o == nil {
					return nil, fmt.Errorf("no such option: -%c", a[j])
				}
				if !o.arg {
					out = append(out, item{opt: o, given: "-" + o.short})
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("option -%s requires an argument", o.short)
					}
					i++
					val = args[i]
				}
				out = append(out, item{opt: o, value: val, given: "-" + o.short})
				break
			}
		default:
			out = append(out, item{value: a})
		}
	}
	return out, nil
}

func findShort(opts []option, s string) *option {
	for i := range opts {
		if opts[i].short == s {
			return &opts[i]
		}
	}
	return nil
}

// findLong finds the option spelled name or, as optparse did, the only one
// that name abbreviates.
func findLong(opts []option, name string) (*option, error) {
	var cands []*option
	var spellings []string
	for i := range opts {
		for _, l := range opts[i].long {
			if l == name {
				return &opts[i], nil
			}
			if strings.HasPrefix(l, name) && name != "" {
				cands = append(cands, &opts[i])
				spellings = append(spellings, "--"+l)
			}
		}
	}
	switch len(cands) {
	case 0:
		return nil, fmt.Errorf("no such option: --%s", name)
	case 1:
		return cands[0], nil
	}
	return nil, fmt.Errorf("ambiguous option: --%s (%s?)", name, strings.Join(spellings, ", "))
}
