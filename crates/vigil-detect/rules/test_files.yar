// Anti-virus test files. Written for Vigil; the EICAR string is kept in hex so that this rule
// file is never itself taken for a test file.

rule EICAR_Test_File
{
    meta:
        description = "EICAR anti-virus test file: the 68-byte EICAR string at the start of the file, followed only by optional whitespace, 128 bytes at most"
        severity = "medium"
        category = "test-file"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"

    strings:
        // X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*
        $eicar = { 58 35 4F 21 50 25 40 41 50 5B 34 5C 50 5A 58 35 34 28 50 5E 29 37 43 43 29 37
                   7D 24 45 49 43 41 52 2D 53 54 41 4E 44 41 52 44 2D 41 4E 54 49 56 49 52 55 53
                   2D 54 45 53 54 2D 46 49 4C 45 21 24 48 2B 48 2A }

    condition:
        // Per the EICAR specification the file starts with the string and may be followed by
        // space, tab, LF, CR or CTRL-Z only, up to 128 bytes in total.
        $eicar at 0 and filesize <= 128 and
        (filesize == 68 or
         for all i in (68..filesize - 1) : (
             uint8(i) == 0x20 or uint8(i) == 0x09 or uint8(i) == 0x0A or
             uint8(i) == 0x0D or uint8(i) == 0x1A))
}
