
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ahasmtp' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ahasmtp'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ahasmtp' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Compose one message from flags, files and stdin, pre-check it, send it')
            [CompletionResult]::new('sendmail', 'sendmail', [CompletionResultType]::ParameterValue, 'Read a complete message on stdin and send it, as sendmail does (for cron, mailx, git…)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Connect, STARTTLS and authenticate, send nothing: prove endpoint and credentials')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Send many messages from JSON Lines over persistent connections')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Offline: what an SMTP reply means for AhaSend, what to do, and the exit status')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages (for packagers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ahasmtp;send' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Sender: addr or ''Display Name <addr>'' [env: AHASEND_FROM_EMAIL]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient; repeatable, and each takes a comma-separated list')
            [CompletionResult]::new('--cc', '--cc', [CompletionResultType]::ParameterName, 'Copy recipient; repeatable, comma lists')
            [CompletionResult]::new('--bcc', '--bcc', [CompletionResultType]::ParameterName, 'Blind copy recipient: in the envelope, never in the message; repeatable, comma lists')
            [CompletionResult]::new('--reply-to', '--reply-to', [CompletionResultType]::ParameterName, 'Reply-To address')
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Subject (UTF-8; encoded as RFC 2047 when needed)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Plain-text body: TEXT, @FILE, or - for stdin')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'HTML body: TEXT, @FILE, or - for stdin (with --text: multipart/alternative)')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Attach a file; repeatable. Override type and name: ''PATH;type=MIME;filename=NAME''')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra header ''Name: value''; repeatable')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'A complete RFC 5322 message, sent as it is: @FILE or -')
            [CompletionResult]::new('--track-opens', '--track-opens', [CompletionResultType]::ParameterName, 'AhaSend open tracking for this message')
            [CompletionResult]::new('--track-clicks', '--track-clicks', [CompletionResultType]::ParameterName, 'AhaSend click tracking for this message')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'AhaSend tag; repeatable or a comma list (at most 10, each at most 64 characters)')
            [CompletionResult]::new('--sandbox-result', '--sandbox-result', [CompletionResultType]::ParameterName, 'Simulated outcome in the sandbox')
            [CompletionResult]::new('--metadata-retention', '--metadata-retention', [CompletionResultType]::ParameterName, 'Days AhaSend keeps metadata and delivery logs (1-30)')
            [CompletionResult]::new('--data-retention', '--data-retention', [CompletionResultType]::ParameterName, 'Days AhaSend keeps the body and attachments (0-30; 0 deletes after processing)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'starttls (required, the default) or none (local relays only)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each reply [default: 30]')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'The EHLO name [default: this host''s name]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'SMTP username [env: AHASEND_SMTP_USERNAME]')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of this file')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Run this command and use the first line it prints as the password')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Refused: a password on the command line leaks into shell history and `ps`')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry transient failures (421, 451, 4xx, connection lost) this many times; 5xx never [default: 3]')
            [CompletionResult]::new('--retry-max-wait', '--retry-max-wait', [CompletionResultType]::ParameterName, 'Longest wait between attempts, in seconds (exponential backoff with jitter) [default: 30]')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'End the whole run, retries included, by this many seconds (exit 75)')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'AhaSend sandbox: processed and webhooks fire, nothing delivered, no credits used')
            [CompletionResult]::new('--failover', '--failover', [CompletionResultType]::ParameterName, 'After the retries, try the other AhaSend region once')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout and nothing else')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--split', '--split', [CompletionResultType]::ParameterName, 'More than 50 recipients: send the same message in transactions of at most 50')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Build and pre-check, print the message and envelope; no network')
            [CompletionResult]::new('--allow-partial', '--allow-partial', [CompletionResultType]::ParameterName, 'When some recipients are refused, send to the accepted ones and report the refused (exit 65)')
            [CompletionResult]::new('--show-data', '--show-data', [CompletionResultType]::ParameterName, 'Print the message itself in the transcript (never the AUTH line)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ahasmtp;sendmail' {
            break
        }
        'ahasmtp;check' {
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'starttls (required, the default) or none (local relays only)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each reply [default: 30]')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'The EHLO name [default: this host''s name]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'SMTP username [env: AHASEND_SMTP_USERNAME]')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of this file')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Run this command and use the first line it prints as the password')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Refused: a password on the command line leaks into shell history and `ps`')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout and nothing else')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success; errors still go to stderr')
            [CompletionResult]::new('--show-config', '--show-config', [CompletionResultType]::ParameterName, 'Print the resolved settings and where each came from, secrets as their source; no network')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ahasmtp;batch' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Sender: addr or ''Display Name <addr>'' [env: AHASEND_FROM_EMAIL]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient; repeatable, and each takes a comma-separated list')
            [CompletionResult]::new('--cc', '--cc', [CompletionResultType]::ParameterName, 'Copy recipient; repeatable, comma lists')
            [CompletionResult]::new('--bcc', '--bcc', [CompletionResultType]::ParameterName, 'Blind copy recipient: in the envelope, never in the message; repeatable, comma lists')
            [CompletionResult]::new('--reply-to', '--reply-to', [CompletionResultType]::ParameterName, 'Reply-To address')
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Subject (UTF-8; encoded as RFC 2047 when needed)')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Plain-text body: TEXT, @FILE, or - for stdin')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'HTML body: TEXT, @FILE, or - for stdin (with --text: multipart/alternative)')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Attach a file; repeatable. Override type and name: ''PATH;type=MIME;filename=NAME''')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra header ''Name: value''; repeatable')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'A complete RFC 5322 message, sent as it is: @FILE or -')
            [CompletionResult]::new('--track-opens', '--track-opens', [CompletionResultType]::ParameterName, 'AhaSend open tracking for this message')
            [CompletionResult]::new('--track-clicks', '--track-clicks', [CompletionResultType]::ParameterName, 'AhaSend click tracking for this message')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'AhaSend tag; repeatable or a comma list (at most 10, each at most 64 characters)')
            [CompletionResult]::new('--sandbox-result', '--sandbox-result', [CompletionResultType]::ParameterName, 'Simulated outcome in the sandbox')
            [CompletionResult]::new('--metadata-retention', '--metadata-retention', [CompletionResultType]::ParameterName, 'Days AhaSend keeps metadata and delivery logs (1-30)')
            [CompletionResult]::new('--data-retention', '--data-retention', [CompletionResultType]::ParameterName, 'Days AhaSend keeps the body and attachments (0-30; 0 deletes after processing)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'starttls (required, the default) or none (local relays only)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each reply [default: 30]')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'The EHLO name [default: this host''s name]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'SMTP username [env: AHASEND_SMTP_USERNAME]')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of this file')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Run this command and use the first line it prints as the password')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Refused: a password on the command line leaks into shell history and `ps`')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry transient failures (421, 451, 4xx, connection lost) this many times; 5xx never [default: 3]')
            [CompletionResult]::new('--retry-max-wait', '--retry-max-wait', [CompletionResultType]::ParameterName, 'Longest wait between attempts, in seconds (exponential backoff with jitter) [default: 30]')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'End the whole run, retries included, by this many seconds (exit 75)')
            [CompletionResult]::new('--results', '--results', [CompletionResultType]::ParameterName, 'Write one JSON result per input line here, flushed as each finishes [default: stdout]')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Skip every line a previous results file marks sent')
            [CompletionResult]::new('--connections', '--connections', [CompletionResultType]::ParameterName, 'Persistent connections in parallel')
            [CompletionResult]::new('--max-per-connection', '--max-per-connection', [CompletionResultType]::ParameterName, 'Reconnect before this many MAIL FROM on one connection')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most N messages a second in all')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'AhaSend sandbox: processed and webhooks fire, nothing delivered, no credits used')
            [CompletionResult]::new('--failover', '--failover', [CompletionResultType]::ParameterName, 'After the retries, try the other AhaSend region once')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, and no summary line when every message was sent; errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, and no summary line when every message was sent; errors still go to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ahasmtp;explain' {
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Print the whole table')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'As JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ahasmtp;generate' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ahasmtp;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Compose one message from flags, files and stdin, pre-check it, send it')
            [CompletionResult]::new('sendmail', 'sendmail', [CompletionResultType]::ParameterValue, 'Read a complete message on stdin and send it, as sendmail does (for cron, mailx, git…)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Connect, STARTTLS and authenticate, send nothing: prove endpoint and credentials')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Send many messages from JSON Lines over persistent connections')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Offline: what an SMTP reply means for AhaSend, what to do, and the exit status')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages (for packagers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ahasmtp;help;send' {
            break
        }
        'ahasmtp;help;sendmail' {
            break
        }
        'ahasmtp;help;check' {
            break
        }
        'ahasmtp;help;batch' {
            break
        }
        'ahasmtp;help;explain' {
            break
        }
        'ahasmtp;help;generate' {
            break
        }
        'ahasmtp;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
