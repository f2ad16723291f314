-- wrk: the logged-in questionnaire section page. The session cookie and the page come from
-- run.sh (COOKIE, SECTION_PATH). No response callback, so the client does the same work as for
-- the bare route and the ratio compares the server's work only; run.sh checks the page answers
-- 200 (not a redirect to the login) before and after the run.
wrk.method = "GET"
wrk.path = os.getenv("SECTION_PATH")
wrk.headers["Cookie"] = os.getenv("COOKIE")
