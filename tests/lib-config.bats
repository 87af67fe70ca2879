# shellcheck shell=bash
# lib/config.c and lib/option.c through tests/t_config: base URLs, the
# shared options and their tables, and the API key.

load helper

# t_config TEST: run one group of checks; it must pass and say how many.
t_config() {
	run "$IA_TOP/tests/t_config" "$1"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} =~ ^t_config:\ [1-9][0-9]*\ checks\ passed$ ]]
}

@test "config: https anywhere, plain http only to loopback, trailing slash stripped" {
	t_config url
}

@test "config: shared options parsed, bad values refused naming the option" {
	t_config options
}

@test "option tables: shared and input rows, each handled; merging hides, --help lines" {
	t_config table
}

@test "config: API key from the environment or a private file, never in a message" {
	t_config key
}

@test "t_config: an unknown test fails" {
	run "$IA_TOP/tests/t_config" nosuchtest
	[ "$status" -eq 2 ]
	[[ $output == *"unknown test"* ]]
}
