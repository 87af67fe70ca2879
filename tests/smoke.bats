load helper
setup_file() { mock_start; }
teardown_file() { mock_stop; mock_stop_all; }
@test "smoke" {
	code=$(http POST /v1/async/chat/completions "$(chat hi)")
	[ "$code" = 200 ]
	body | jq -e '.id | length == 21'
}
