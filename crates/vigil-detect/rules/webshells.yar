// Web shells: server-side scripts that run code or commands sent in a request. Written for Vigil.

rule PHP_Webshell_Eval_Request
{
    meta:
        description = "PHP script that evaluates or executes request input directly (eval/assert/system of $_POST, $_GET, $_REQUEST or $_COOKIE), the pattern of one-line web shells such as China Chopper"
        severity = "critical"
        category = "webshell"
        reference = "https://attack.mitre.org/techniques/T1505/003/"

    strings:
        $php = "<?" private
        // eval($_POST['x']), @assert($_REQUEST[...]), system(base64_decode($_GET['c'])), ...
        $exec_req = /\b(eval|assert|system|passthru|shell_exec|popen|proc_open|pcntl_exec|create_function)\s*\(\s*((base64_decode|gzinflate|gzuncompress|str_rot13|stripslashes|urldecode|rawurldecode|trim)\s*\(\s*)*\$_(POST|GET|REQUEST|COOKIE)\s*\[/
        // $f = $_POST['f']; $f($_POST['c']) style: variable function called with request input.
        $var_call = /\$_(POST|GET|REQUEST)\s*\[\s*['"][^'"]{1,32}['"]\s*\]\s*\(\s*\$_(POST|GET|REQUEST)\s*\[/

    condition:
        $php and ($exec_req or $var_call)
}

rule ASPX_Webshell_Eval_Request
{
    meta:
        description = "ASP.NET page that evaluates request input with the JScript eval 'unsafe' mode (China Chopper server side)"
        severity = "critical"
        category = "webshell"
        reference = "https://www.mandiant.com/resources/blog/breaking-down-the-china-chopper-web-shell-part-i"

    strings:
        $eval_req = /eval\s*\(\s*Request(\.Item|\.Form|\.QueryString)?\s*\[\s*["'][^"']{1,64}["']\s*\]\s*,\s*["']unsafe["']\s*\)/ nocase

    condition:
        $eval_req
}

rule JSP_Webshell_Exec_Request
{
    meta:
        description = "JSP page that runs an operating-system command taken from a request parameter (Runtime.exec or ProcessBuilder of request.getParameter)"
        severity = "critical"
        category = "webshell"
        reference = "https://attack.mitre.org/techniques/T1505/003/"

    strings:
        $rt_exec = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(\s*request\s*\.\s*getParameter\s*\(/
        $pb = /new\s+ProcessBuilder\s*\([^;]{0,64}request\s*\.\s*getParameter\s*\(/

    condition:
        $rt_exec or $pb
}

rule PHP_Webshell_Known_Family
{
    meta:
        description = "PHP file with the markers of a well-known web shell family (c99shell, r57shell, b374k, WSO) and request handling"
        severity = "critical"
        category = "webshell"
        reference = "https://attack.mitre.org/techniques/T1505/003/"

    strings:
        $php = "<?" private
        $c99_1 = "c99shell" nocase
        $c99_2 = "c99sh_" nocase
        $r57_1 = "r57shell" nocase
        $r57_2 = "r57_" nocase
        $b374k_1 = "b374k" nocase
        $b374k_2 = "$GLOBALS['module']" nocase
        $wso_1 = "wsoLogin"
        $wso_2 = "wsoHeader"
        $wso_3 = "wsoEx("
        $wso_4 = "WSOsetcookie"
        $req = /\$_(POST|GET|REQUEST|COOKIE|FILES)\s*\[/ private

    condition:
        $php and $req and (
            ($c99_1 and $c99_2) or
            ($r57_1 and $r57_2) or
            ($b374k_1 and ($b374k_2 or #b374k_1 >= 3)) or
            (2 of ($wso_*))
        )
}
