// SPDX-License-Identifier: Apache-2.0

package compat

// QueryCommand is com-queryclusterconf, whose translation runs osr's query
// command with the original's output habits (see Invocation.Args).
const QueryCommand = "com-queryclusterconf"

func queryClusterConf() *tool {
	opts := []option{
		{short: "f", long: []string{"filename"}, arg: true, to: flagTo("cluster")},
		{short: "c", long: []string{"clusterconf"}, arg: true, to: flagTo("cluster")},
		{short: "m", long: []string{"querymapfile"}, arg: true, to: flagTo("querymapfile")},
		{short: "Q", long: []string{"queriesfile"}, arg: true, to: flagTo("queriesfile")},
		{short: "V", long: []string{"validate"}, to: switchTo("--validate")},
		{short: "q", long: []string{"query"}, to: dropped},
		{short: "p", long: []string{"properties"}, to: switchTo("--properties")},
		{short: "W", long: []string{"nowarnings"}, to: switchTo("--log-level=error")},
		{short: "Y", long: []string{"pretty"}, to: switchTo("--pretty")},
		{short: "E", long: []string{"evalparams"}, to: switchTo("--evalparams")},
		{short: "s", long: []string{"separator", "seperator"}, arg: true, to: flagTo("separator")},
		{short: "P", long: []string{"prefix"}, arg: true, to: flagTo("prefix")},
		{short: "S", long: []string{"suffix"}, arg: true, to: flagTo("suffix")},
		{short: "v", long: []string{"verbose"}, to: switchTo("--log-level=debug")},
		{short: "h", long: []string{"help"}, to: switchTo("--help")},
	}
	return &tool{opts: opts, settings: "cluster", build: func(items []item) (Invocation, error) {
		args, pos, warns := translate(items, true)
		args = append(append([]string{"cluster", "query"}, args...), "--")
		// The exit code is the number of failed queries; osr's cluster query
		// returns it already.
		return Invocation{Args: append(args, pos...), Warnings: warns}, nil
	}}
}
