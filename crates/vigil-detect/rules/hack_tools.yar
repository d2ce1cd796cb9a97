// Well-known offensive tools: credential dumpers, post-exploitation agents, password crackers
// and mass scanners. Written for Vigil.

rule HackTool_Mimikatz
{
    meta:
        description = "Mimikatz credential dumper (commands such as sekurlsa::logonpasswords, author marker gentilkiwi)"
        severity = "critical"
        category = "hack-tool"
        reference = "https://github.com/gentilkiwi/mimikatz"

    strings:
        $cmd1 = "sekurlsa::logonpasswords" ascii wide nocase
        $cmd2 = "sekurlsa::" ascii wide nocase
        $cmd3 = "lsadump::" ascii wide nocase
        $cmd4 = "privilege::debug" ascii wide nocase
        $cmd5 = "kerberos::golden" ascii wide nocase
        $author = "gentilkiwi" ascii wide nocase
        $name = "mimikatz" ascii wide nocase

    condition:
        ($cmd1 and ($author or $name or $cmd3 or $cmd4)) or
        ($author and $name and 1 of ($cmd2, $cmd3, $cmd4, $cmd5)) or
        (3 of ($cmd2, $cmd3, $cmd4, $cmd5) and $name)
}

rule HackTool_LaZagne
{
    meta:
        description = "LaZagne password recovery tool (credential harvesting from browsers, mail clients, databases, system stores)"
        severity = "high"
        category = "hack-tool"
        reference = "https://github.com/AlessandroZ/LaZagne"

    strings:
        $name = "lazagne" ascii wide nocase
        $mod1 = "lazagne.softwares" ascii wide nocase
        $mod2 = "lazagne.config" ascii wide nocase
        $mod3 = "lazagne/softwares" ascii wide nocase
        $banner = "The LaZagne Project" ascii wide nocase
        $author = "AlessandroZ" ascii wide

    condition:
        $banner or (#name >= 2 and (any of ($mod*) or $author))
}

rule HackTool_Metasploit_Meterpreter
{
    meta:
        description = "Metasploit Meterpreter payload or stager (metsrv, stdapi/core command markers)"
        severity = "critical"
        category = "hack-tool"
        reference = "https://docs.metasploit.com/docs/using-metasploit/advanced/meterpreter/meterpreter.html"

    strings:
        $metsrv = "metsrv" ascii wide fullword
        $name = "meterpreter" ascii wide nocase
        $stdapi1 = "stdapi_sys_process_execute" ascii wide
        $stdapi2 = "stdapi_fs_" ascii wide
        $stdapi3 = "stdapi_net_" ascii wide
        $core1 = "core_channel_open" ascii wide
        $core2 = "core_loadlib" ascii wide
        $core3 = "core_migrate" ascii wide
        $refl = "ReflectiveLoader" ascii wide

    condition:
        ($metsrv and ($name or $refl or any of ($core*))) or
        ($name and 2 of ($stdapi*, $core*, $refl))
}

rule HackTool_THC_Hydra
{
    meta:
        description = "THC Hydra network login brute forcer"
        severity = "high"
        category = "hack-tool"
        reference = "https://github.com/vanhauser-thc/thc-hydra"

    strings:
        $name1 = "thc-hydra" nocase
        $name2 = "Hydra v" fullword
        $name3 = "van Hauser" nocase
        $opt1 = "-P FILE" fullword
        $opt2 = "-L FILE" fullword
        $opt3 = "[ERROR] no valid" nocase
        $opt4 = "hydra -l " nocase

    condition:
        ($name1 or ($name2 and $name3)) and 2 of ($opt*)
}

rule HackTool_Masscan
{
    meta:
        description = "masscan mass TCP port scanner"
        severity = "high"
        category = "hack-tool"
        reference = "https://github.com/robertdavidgraham/masscan"

    strings:
        $name = "masscan" fullword
        $author = "robertdavidgraham" nocase
        $opt1 = "--adapter-ip" fullword
        $opt2 = "--router-mac" fullword
        $opt3 = "--max-rate" fullword
        $opt4 = "masscan.conf"

    condition:
        $name and ($author or $opt4) and 2 of ($opt1, $opt2, $opt3)
}
