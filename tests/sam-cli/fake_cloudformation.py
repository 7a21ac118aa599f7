"""A stand-in CloudFormation endpoint on 127.0.0.1 for deploy-request.sh: it records the
requests `sam deploy` sends (all but TemplateBody as parameters, then the TemplateBody) to
the file named by its first argument, answers DescribeStacks as for a stack that does not
exist and everything else with a ValidationError, so nothing reaches AWS.

    python3 fake_cloudformation.py LOG PORT
"""
import http.server
import sys
import urllib.parse

LOG, PORT = sys.argv[1], int(sys.argv[2])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        query = urllib.parse.parse_qs(body)
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(repr({k: v for k, v in query.items() if k != "TemplateBody"}) + "\n")
            if "TemplateBody" in query:
                log.write(query["TemplateBody"][0] + "\n")
        if query.get("Action") == ["DescribeStacks"]:
            message = b"Stack with id t does not exist"
        else:
            message = b"recorded by fake_cloudformation.py"
        self.send_response(400)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(
            b"<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>"
            + message
            + b"</Message></Error></ErrorResponse>"
        )

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
