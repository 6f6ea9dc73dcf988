// Service certificates (志愿服务证明): asking for one from the service record, the printable
// A4 certificate with its QR code, and the public page anyone reaches by scanning it.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { CertificatePage, IssueCertificate, MyCertificates, VerifyCertificate } from '../operations/certificate.js';
import { navigate } from '../router.js';
import { formatDate, formatMinutes } from '../format.js';
import { Qr } from '../qr.js';
import {
  Field, FormError, Page, QueryState, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';

/** What a verification found, in words (never colour alone). */
const VALIDITY = {
  GENUINE: ['ok', '真实有效', '这份证明由成华区的签名密钥签发，内容未被改动，且未被撤销。'],
  REVOKED: ['bad', '已撤销', '这份证明确由平台签发，但其中计入的服务已被冲正，不再有效。'],
  ALTERED: ['bad', '内容与记录不符', '这份证明的内容与签名不符或与平台记录不同，可能被改动过。'],
  UNKNOWN: ['bad', '查无此证', '平台没有这个编号的证明，请核对编号。'],
};

/**
 * Asking for a certificate, and the ones already issued, on the service record.
 * @param {{ organisations: Array<{ organisation: { id: string, name: string } }> }} props
 */
export function CertificateRequest({ organisations }) {
  const [form, set] = useForm({ scope: 'ALL', from: '', until: '', organisationId: '', name: 'MASKED' });
  const { run, busy, errors } = useMutation();
  const list = useQuery(MyCertificates);
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    const period = form.scope === 'PERIOD';
    const payload = await run(IssueCertificate, {
      input: {
        from: period ? form.from || null : null,
        until: period ? form.until || null : null,
        organisationId: form.organisationId || null,
        name: form.name,
      },
    }, 'issueCertificate');
    if (payload?.certificate) navigate(`/service/certificates/${payload.certificate.number}`);
  };
  const edges = list.data?.myCertificates.edges || [];
  return html`<section class="card" aria-labelledby="certificate-title">
    <h2 id="certificate-title">申请服务证明</h2>
    <p class="muted">证明由平台以成华区的签名密钥签发，附二维码，学校、单位扫码即可核验真伪。</p>
    <form onSubmit=${submit} novalidate aria-labelledby="certificate-title">
      <${Field} label="证明范围" name="scope" value=${form.scope} onInput=${set('scope')}
        options=${[['ALL', '全部已核验的服务'], ['PERIOD', '某段时间的服务']]} />
      ${form.scope === 'PERIOD' && html`
        <${Field} label="开始日期" name="from" type="date" value=${form.from} onInput=${set('from')} error=${errors.from} />
        <${Field} label="结束日期" name="until" type="date" value=${form.until} onInput=${set('until')} error=${errors.until} />`}
      <${Field} label="服务组织" name="organisationId" value=${form.organisationId} onInput=${set('organisationId')}
        error=${errors.organisationId}
        options=${[['', '全部组织'], ...organisations.map((o) => [o.organisation.id, o.organisation.name])]} />
      <${Field} label="姓名显示" name="name" value=${form.name} onInput=${set('name')}
        hint="证明会被转交他人时，可隐去姓名中间的字。"
        options=${[['MASKED', '隐去中间的字（如 张*明）'], ['FULL', '显示全名']]} />
      ${form.scope !== 'PERIOD' && errors.from && html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${errors.from}</p>`}
      <${FormError} errors=${errors} fields=${['from', 'until', 'organisationId']} />
      <${Submit} busy=${busy}>生成证明<//>
    </form>
    ${edges.length > 0 && html`<h3>已开具的证明</h3>
      <ul class="plain">${edges.map((/** @type {any} */ { node: c }) => html`<li key=${c.number}>
        <a href=${`/service/certificates/${c.number}`}>${c.number}</a>
        · ${c.content.from} 至 ${c.content.until} · ${c.content.totalHours} 小时${c.content.scopeOrganisation ? ` · ${c.content.scopeOrganisation}` : ''}
        ${c.revokedAt ? html` <span class="tag">已撤销</span>` : ''}
      </li>`)}</ul>`}
  </section>`;
}

/**
 * The certificate's body, as printed and as the verification page shows it.
 * @param {{ content: any }} props
 */
function CertificateBody({ content }) {
  return html`
    <p class="certificate-statement">
      兹证明 <strong>${content.holder}</strong> 于 ${content.from === content.until ? `${content.from} ` : `${content.from} 至 ${content.until} 期间`}${content.scopeOrganisation ? `在「${content.scopeOrganisation}」` : ''}参加志愿服务，经组织方核验，累计服务 <strong>${content.totalHours}</strong> 小时（${formatMinutes(content.totalMinutes)}）。
    </p>
    <h2>按组织</h2>
    <table class="certificate-table">
      <thead><tr><th scope="col">组织</th><th scope="col">小时</th></tr></thead>
      <tbody>${content.organisations.map((/** @type {any} */ o) => html`<tr key=${o.name}><td>${o.name}</td><td>${o.hours}</td></tr>`)}</tbody>
    </table>
    <h2>服务明细</h2>
    <table class="certificate-table">
      <thead><tr><th scope="col">日期</th><th scope="col">组织</th><th scope="col">活动</th><th scope="col">小时</th></tr></thead>
      <tbody>${content.activities.map((/** @type {any} */ a, /** @type {number} */ i) => html`<tr key=${i}>
        <td class="nowrap">${a.date}</td><td>${a.organisation}</td><td>${a.title}</td><td>${a.hours}</td>
      </tr>`)}</tbody>
    </table>
    <p class="certificate-issuer">${content.issuer}<br />${content.issuedOn}</p>`;
}

/** The printable certificate (A4). @param {{ number: string }} props */
export function CertificateScreen({ number }) {
  const query = useQuery(CertificatePage, { number }, [number]);
  const [copied, setCopied] = useState(false);
  const c = query.data?.certificate;
  const copy = async () => {
    try { await navigator.clipboard.writeText(c.content.verifyUrl); setCopied(true); } catch { setCopied(false); }
  };
  return html`<${Page} title="志愿服务证明" back="/service" backLabel="服务记录">
    <${QueryState} query=${query} lines=${8} />
    ${c && html`
      <div class="certificate-actions no-print">
        <button type="button" class="button primary" onClick=${() => print()}>打印或存为 PDF</button>
        <button type="button" class="button secondary" onClick=${copy}>${copied ? '已复制核验链接' : '复制核验链接'}</button>
      </div>
      ${c.revokedAt && html`<div class="error-box" role="alert"><p><span aria-hidden="true">⚠ </span>这份证明已于 ${formatDate(c.revokedAt)} 撤销：${c.revocationReason}</p></div>`}
      <article class="certificate" aria-label="证明正文">
        <header class="certificate-head">
          <p class="certificate-title">志愿服务证明</p>
          <p class="certificate-number">编号 ${c.number}</p>
        </header>
        <${CertificateBody} content=${c.content} />
        <footer class="certificate-foot">
          <${Qr} svg=${c.qrSvg} label=${`核验二维码：${c.content.verifyUrl}`} />
          <p>扫码或打开 <span class="certificate-url">${c.content.verifyUrl}</span> 核验真伪。<br />
            本证明以成华区的 Ed25519 密钥签名（密钥 ${c.keyId.slice(0, 12)}…），改动任何内容都会使核验失败。</p>
        </footer>
      </article>`}
  <//>`;
}

/** The public verification page the certificate's QR code opens. @param {{ number: string }} props */
export function VerifyScreen({ number }) {
  const query = useQuery(VerifyCertificate, { number }, [number]);
  const v = query.data?.verifyCertificate;
  const [tone, label, explanation] = v ? VALIDITY[/** @type {keyof typeof VALIDITY} */ (v.validity)] : ['', '', ''];
  return html`<${Page} title="核验服务证明">
    <p class="muted">编号 ${number}</p>
    <${QueryState} query=${query} lines=${4} />
    ${v && html`<section class=${`verdict ${tone}`} role="status" aria-live="polite">
      <p class="verdict-label"><span aria-hidden="true">${tone === 'ok' ? '✓ ' : '✗ '}</span>${label}</p>
      <p>${explanation}</p>
      ${v.revokedAt && html`<p>撤销于 ${formatDate(v.revokedAt)}：${v.revocationReason}</p>`}
    </section>`}
    ${v?.content && html`<article class="certificate on-screen" aria-label="证明内容">
      <${CertificateBody} content=${v.content} />
      <p class="muted">签名密钥 <span class="certificate-url">${v.keyId}</span>；公钥公布于 <a href="/.well-known/linli-certificate-keys.json">/.well-known/linli-certificate-keys.json</a>。</p>
    </article>`}
  <//>`;
}
